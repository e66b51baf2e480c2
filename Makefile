# backfill: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
TOOLS := $(CURDIR)/.tools/bin

# The programs the tests start as separate processes (see internal/s3test),
# each pinned, built with `go install` once per version per machine into a
# cache outside the clone, $(BACKFILL_TOOLS_CACHE)/<name>@<version>/<name>
# (default ~/.cache/backfill/tools), and linked into the project's
# git-ignored .tools/bin. A fresh clone on a machine that
# has the cache links and does not rebuild; a version bump builds the new one
# once. Setting BACKFILL_VERSITYGW, BACKFILL_MINIO or BACKFILL_MC to another
# binary uses that one and skips its build.
#
# MinIO and mc are AGPL-3.0. backfill only runs them as programs (a test
# server and its command-line client); no backfill package imports or links
# their code, and nothing of theirs is shipped. Building MinIO takes about 7
# minutes on 2 cores the first time.
export BACKFILL_TOOLS_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/backfill/tools
VERSITYGW_VERSION := v1.8.0
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MC_VERSION := v0.0.0-20250313080218-cf909e1063a9
export BACKFILL_VERSITYGW ?= $(TOOLS)/versitygw
export BACKFILL_MINIO ?= $(TOOLS)/minio
export BACKFILL_MC ?= $(TOOLS)/mc

# $(call install-tool,NAME,PACKAGE,VERSION,OVERRIDE): build PACKAGE@VERSION
# into the cache unless it is there (under a lock, so two builds on one
# machine do not race; into a temp folder renamed when complete, so an
# interrupted build leaves nothing half-made), then link .tools/bin/NAME to it.
define install-tool
	@set -e; \
	if [ "$($(4))" != "$(TOOLS)/$(1)" ]; then echo "$(1): using $(4)=$($(4))"; exit 0; fi; \
	dir="$(BACKFILL_TOOLS_CACHE)/$(1)@$(3)"; mkdir -p "$(BACKFILL_TOOLS_CACHE)" "$(TOOLS)"; \
	if [ ! -x "$$dir/$(1)" ]; then \
		exec 9>"$(BACKFILL_TOOLS_CACHE)/.$(1).lock"; flock 9; \
		if [ ! -x "$$dir/$(1)" ]; then \
			echo "building $(1) $(3) into $$dir (once per version on this machine)"; \
			tmp=$$(mktemp -d "$(BACKFILL_TOOLS_CACHE)/.$(1)@$(3).XXXXXX"); chmod 755 "$$tmp"; trap 'rm -rf "$$tmp"' EXIT; \
			start=$$(date +%s); GOBIN="$$tmp" $(GO) install $(2)@$(3); \
			rm -rf "$$dir"; mv "$$tmp" "$$dir"; \
			echo "built $(1) in $$(( $$(date +%s) - start )) s"; \
		fi; \
	fi; \
	ln -sfn "$$dir/$(1)" "$(TOOLS)/$(1)"
endef

.PHONY: build install test test-large fuzz demo vet fmt-check clean tools tool-versitygw tool-minio tool-mc

build:
	$(GO) build -o bin/backfill ./cmd/backfill

# Installs backfill as $(PREFIX)/bin/backfill; PREFIX is Go's own folder by
# default, so the binary lands where `go install ./cmd/backfill` puts it.
PREFIX ?= $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))
install: build
	install -d $(PREFIX)/bin
	install -m 0755 bin/backfill $(PREFIX)/bin/backfill
	@echo "installed $(PREFIX)/bin/backfill (is $(PREFIX)/bin on your PATH?)"

# The pinned S3 server the tests, the demo and the benchmarks run against.
tool-versitygw:
	$(call install-tool,versitygw,github.com/versity/versitygw/cmd/versitygw,$(VERSITYGW_VERSION),BACKFILL_VERSITYGW)

# Real bucket replication for the tests: the MinIO server and its client.
tool-minio:
	$(call install-tool,minio,github.com/minio/minio,$(MINIO_VERSION),BACKFILL_MINIO)

tool-mc:
	$(call install-tool,mc,github.com/minio/mc,$(MC_VERSION),BACKFILL_MC)

tools: tool-versitygw tool-minio tool-mc

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# -timeout is the bound of a package on a loaded machine, not its time:
# cmd/backfill, the longest, took 547 s (its end-to-end tests run in parallel)
# in a clean-clone .ci/run at cf75d43 on 2 cores, the whole `make test` 594 s.
test: tools fmt-check vet
	$(GO) test -race -count=1 -timeout 45m ./...

# Fuzzing (RELIABILITY.md): each target in turn, one worker (-parallel 1),
# for FUZZTIME, or FUZZTIME_READERS for the CSV, Parquet and manifest
# readers; FUZZ=REGEXP runs only the targets it matches. A crasher is
# written to its package's testdata/fuzz/<target>/: keep it, `go test`
# replays it as a seed from then on. Go 1.26's coordinator can end a run
# with "context deadline exceeded" when nothing was found (golang/go#75804,
# on a loaded machine); such a run, with no crasher written, counts as
# passed. The last lines are each target's final count of executions.
FUZZTIME ?= 5m
FUZZTIME_READERS ?= 10m
FUZZ ?= .
FUZZ_TARGETS := internal/s3url:FuzzParse internal/s3url:FuzzOverlaps internal/s3url:FuzzEscapeKey \
	internal/units:FuzzParseSize engine:FuzzFilter cmd/backfill:FuzzDurationFlags \
	report:FuzzManifestFileRoundTrip internal/awsconf:FuzzRootIsError \
	inventory:FuzzInventoryKeyRoundTrip inventory:FuzzParquetRows
FUZZ_READERS := inventory:FuzzManifestReader inventory:FuzzInventoryManifest inventory:FuzzInventoryRow \
	inventory:FuzzParquetReader inventory:FuzzReportManifest inventory:FuzzReportReader

fuzz:
	@logs=$$(mktemp -d); failed=; summary=; \
	for spec in $(FUZZ_TARGETS:%=%:$(FUZZTIME)) $(FUZZ_READERS:%=%:$(FUZZTIME_READERS)); do \
		IFS=: read -r pkg name time <<< "$$spec"; \
		echo "$$name" | grep -Eq -- '$(FUZZ)' || continue; \
		dir=$$pkg/testdata/fuzz/$$name; before=$$(ls $$dir 2>/dev/null | wc -l); \
		echo "== $$name ($$pkg, $$time)"; \
		$(GO) test -run "^$$name\$$" -fuzz "^$$name\$$" -fuzztime $$time -parallel 1 ./$$pkg 2>&1 | tee $$logs/$$name; \
		rc=$${PIPESTATUS[0]}; result=passed; \
		if [ $$rc -ne 0 ]; then \
			if [ $$(ls $$dir 2>/dev/null | wc -l) -eq $$before ] && grep -q 'context deadline exceeded' $$logs/$$name; then \
				result="passed (stopped by golang/go#75804, no crasher)"; \
			else result=FAILED; failed="$$failed $$name"; fi; \
		fi; \
		summary="$$summary$$name $$time $$result: $$(grep '^fuzz: elapsed' $$logs/$$name | tail -1)\n"; \
	done; \
	rm -rf $$logs; printf "\n$$summary"; \
	if [ -n "$$failed" ]; then echo "fuzz: crashers in$$failed (see testdata/fuzz/)"; exit 1; fi

# Real objects over 5 GiB: one copied with the default settings, one that a
# batchops submit leaves out of its copy job and copies locally
# (--large-locally). Each writes 5 GiB; together about 4 minutes on 2 cores.
# Not part of `make test`.
test-large: tool-versitygw
	$(GO) test -race -count=1 -timeout 30m -tags large -run 'TestObjectOver5GiB|TestBatchopsLargeObjectsLocally' -v ./cmd/backfill

demo: build tool-versitygw
	$(GO) run ./internal/demo

# The whole replica story on a local MinIO that really replicates: setup
# plan/apply/check (the canary), plan, copy while a writer works, verify,
# a deleted replica object found and fixed. Its first run builds MinIO and
# mc (about 7 minutes on 2 cores); after that it takes about a minute.
.PHONY: demo-replication
demo-replication: build tool-minio tool-mc
	$(GO) run ./internal/demo/replication

# Measurements behind BENCHMARKS.md. `make bench` runs them all (several
# hours on 2 cores, most of it the peers' slower runs); each part has its
# own target. Each prints markdown tables and its verdicts; see
# BENCHMARKS.md for the method and the results. The peer tools come from
# Debian packages, installed here when missing. Measure on a quiet machine:
# every program prints the load average it ran under.
BENCH_OBJECTS ?= 5000
RCLONE256 := rclone copy --transfers
.PHONY: bench bench-peers bench-scale bench-verify bench-invcopy bench-prefix bench-concurrency bench-checkpoint bench-inventory bench-large bench-verify-inventory peer-tools
bench: bench-scale bench-verify bench-invcopy bench-peers bench-prefix bench-concurrency bench-checkpoint bench-inventory bench-large bench-verify-inventory

peer-tools:
	@command -v rclone >/dev/null && [ -x /usr/bin/aws ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli rclone) || echo "could not install awscli/rclone: bench-scale and bench-large skip them; bench-peers stops (go run ./bench/peers -allow-missing runs without them)"

# backfill vs aws s3 sync and rclone copy on versitygw, for exactness and
# request counts: 20,000 objects of 4-64 KiB, with versitygw's buckets on
# tmpfs (-server-dir): fresh at 0 and 25 ms (each followed by its re-run),
# interrupted and resumed, and under a 300 requests/s SlowDown ceiling;
# medians of 3 runs. Its speed ratios are not targets (the server costs
# the same 2 cores: it measures the rig); bench-scale judges speed.
bench-peers: build tool-versitygw peer-tools
	$(GO) run ./bench/peers

# Issue 19's speed and memory targets, on the in-memory S3 simulator
# (bench/s3sim): 50,000 objects at 25, 100 and 200 ms with backfill's
# default flags against rclone copy --transfers 256 --checkers 256 (and
# aws s3 sync at 25 ms), the tools taking turns for 5 rounds; a SlowDown
# ceiling of 2,000 requests/s for all requests at 100 ms; a million
# objects at 100 ms for memory and for a run that does not slow down as it
# grows; two 6 GiB objects among 2,000 with the peers, for exactness.
bench-scale: build peer-tools
	@echo "## 50,000 objects, 25 ms"
	$(GO) run ./bench/scale -objects 50000 -latency 25ms -runs 5 -peers -only "$(RCLONE256),aws s3 sync" -vs "$(RCLONE256)" -target-ratio 2.5 -cpu-ratio 0.3
	@echo "## 50,000 objects, 100 ms"
	$(GO) run ./bench/scale -objects 50000 -latency 100ms -runs 5 -peers -only "$(RCLONE256)" -vs "$(RCLONE256)" -target-ratio 5 -cpu-ratio 0.3
	@echo "## 50,000 objects, 200 ms"
	$(GO) run ./bench/scale -objects 50000 -latency 200ms -runs 5 -peers -only "$(RCLONE256)" -vs "$(RCLONE256)" -target-ratio 8 -cpu-ratio 0.3
	@echo "## SlowDown ceiling: 2,000 requests/s for all requests, 100 ms, 50,000 objects"
	$(GO) run ./bench/scale -objects 50000 -latency 100ms -runs 5 -ceiling 2000
	@echo "## fixed --concurrency 2048 and 4096 at 100 ms (the adaptive default's ceiling, and twice it: no GC thrash)"
	$(GO) run ./bench/scale -objects 50000 -latency 100ms -runs 3 -concurrency 2048
	$(GO) run ./bench/scale -objects 50000 -latency 100ms -runs 3 -concurrency 4096
	@echo "## 1,000,000 objects, 100 ms"
	$(GO) run ./bench/scale -objects 1000000 -latency 100ms -runs 1 -first 100000 -rss-target 1024
	@echo "## large objects among small ones, with the peers (exactness)"
	$(GO) run ./bench/scale -objects 2000 -size-kib 64 -large 2 -peers -only "$(RCLONE256),aws s3 sync" -runs 1

# Issue 20's verify benchmark: 1,000,000 objects in each bucket, 1%
# differences planted, 25 ms: backfill verify vs rclone check, 3 rounds.
bench-verify: build peer-tools
	$(GO) run ./bench/verify -objects 1000000 -latency 25ms -runs 3

# An inventory copy into an empty replica: requests per object (the
# replica listed and joined, or one HEAD per object), 100,000 rows; and
# memory at a million rows.
bench-invcopy: build
	$(GO) run ./bench/invcopy -objects 100000 -latency 25ms
	$(GO) run ./bench/invcopy -objects 1000000 -latency 25ms -lookups list

# S3's per-prefix request limits (3,500 writes and 5,500 reads per second)
# on the simulator: over prefixes two levels deep as S3 would partition
# them, and with the whole bucket as one prefix, where the write limit is
# the ceiling.
bench-prefix: build
	$(GO) run ./bench/scale -objects 200000 -latency 50ms -read-rate 5500 -write-rate 3500 -runs 3
	$(GO) run ./bench/scale -objects 200000 -latency 50ms -read-rate 5500 -write-rate 3500 -prefix-depth 1 -runs 3

bench-concurrency: build tool-versitygw
	@echo "## concurrency sweep, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 64,128,256,512 -runs 3
	@echo "## concurrency sweep, 100 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 100ms -levels 64,128,256,512 -runs 3
	@echo "## checkpoint on (default) vs --no-checkpoint, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 256 -runs 7 -ab --no-checkpoint

bench-checkpoint: build
	@echo "## checkpoint at a million done objects"
	$(GO) run ./bench/checkpoint -objects 1000000

# verify between two S3 Inventory deliveries of a million rows each, 1%
# differences planted: time, peak RSS, exact findings.
bench-verify-inventory: build
	@echo "## verify, inventory against inventory, 1M rows"
	$(GO) run ./bench/verifyinv -rows 1000000

bench-inventory:
	@echo "## S3 Inventory reading, 10M rows, CSV.gz and Parquet, one core and two"
	$(GO) run ./bench/inventory -rows 10000000 -files 8 -formats csv,parquet

bench-large: build tool-versitygw peer-tools
	@echo "## large objects: backfill vs aws s3 sync and rclone copy"
	$(GO) run ./bench/large -objects 4 -size-mib 1024 -runs 3

clean:
	rm -rf bin
