# backfill: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSITYGW_VERSION := v1.8.0
TOOLS := $(CURDIR)/.tools/bin
VERSITYGW := $(TOOLS)/versitygw
export BACKFILL_VERSITYGW := $(VERSITYGW)

.PHONY: build install test test-large demo vet fmt-check clean tools

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
# Installed once into the project's own (git-ignored) tools folder; the
# stamp file records the version so a bump reinstalls it.
$(VERSITYGW): Makefile
	@mkdir -p $(TOOLS)
	@if [ ! -x $(VERSITYGW) ] || [ "$$(cat $(TOOLS)/.versitygw-version 2>/dev/null)" != "$(VERSITYGW_VERSION)" ]; then \
		echo "installing versitygw $(VERSITYGW_VERSION) into $(TOOLS) (once)"; \
		GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION) && \
		echo $(VERSITYGW_VERSION) > $(TOOLS)/.versitygw-version; \
	fi
	@touch $(VERSITYGW)

tools: $(VERSITYGW)

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test: $(VERSITYGW) fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...

# One real object over 5 GiB copied with the default settings (writes 5 GiB;
# about 2.5 minutes on 2 cores). Not part of `make test`.
test-large: $(VERSITYGW)
	$(GO) test -race -count=1 -timeout 30m -tags large -run TestObjectOver5GiB -v ./cmd/backfill

demo: build $(VERSITYGW)
	$(GO) run ./internal/demo

# Measurements behind BENCHMARKS.md. `make bench` runs them all (about three
# hours on 2 cores, most of it the peers' slower runs); each part has its
# own target. Each prints a markdown table; see BENCHMARKS.md for the method
# and the results. The peer tools come from Debian packages, installed here
# when missing.
BENCH_OBJECTS ?= 5000
.PHONY: bench bench-peers bench-scale bench-concurrency bench-checkpoint bench-inventory bench-large peer-tools
bench: bench-peers bench-scale bench-concurrency bench-checkpoint bench-inventory bench-large

peer-tools:
	@command -v rclone >/dev/null && [ -x /usr/bin/aws ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli rclone) || echo "could not install awscli/rclone: bench-scale and bench-large skip them; bench-peers stops (go run ./bench/peers -allow-missing runs without them)"

# backfill vs aws s3 sync and rclone copy, 20,000 objects of 4-64 KiB, with
# versitygw's buckets on tmpfs (-server-dir): fresh at 0 and 25 ms (each
# followed by its re-run), interrupted and resumed, and under a 300
# requests/s SlowDown ceiling; medians of 3 runs.
bench-peers: build $(VERSITYGW) peer-tools
	$(GO) run ./bench/peers

# 1,000,000 objects on the in-memory S3 simulator at 50 ms per request,
# median of 3 runs; aws s3 sync and rclone on it, to show the rig is fair
# (with two 6 GiB objects, copied in parts, whose headers must arrive too);
# then S3's per-prefix request limits (3,500 writes and 5,500 reads per
# second): over prefixes two levels deep as S3 would partition them, and with
# the whole bucket as one prefix, where the write limit is the ceiling.
bench-scale: build peer-tools
	$(GO) run ./bench/scale -objects 1000000 -latency 50ms -runs 3
	$(GO) run ./bench/scale -objects 2000 -size-kib 64 -large 2 -peers -runs 3
	$(GO) run ./bench/scale -objects 200000 -latency 50ms -read-rate 5500 -write-rate 3500 -runs 3
	$(GO) run ./bench/scale -objects 200000 -latency 50ms -read-rate 5500 -write-rate 3500 -prefix-depth 1 -runs 3

bench-concurrency: build $(VERSITYGW)
	@echo "## concurrency sweep, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 64,128,256,512 -runs 3
	@echo "## concurrency sweep, 100 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 100ms -levels 64,128,256,512 -runs 3
	@echo "## checkpoint on (default) vs --no-checkpoint, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 256 -runs 7 -ab --no-checkpoint

bench-checkpoint: build
	@echo "## checkpoint at a million done objects"
	$(GO) run ./bench/checkpoint -objects 1000000

bench-inventory:
	@echo "## S3 Inventory reading, 10M rows, CSV.gz and Parquet, one core and two"
	$(GO) run ./bench/inventory -rows 10000000 -files 8 -formats csv,parquet

bench-large: build $(VERSITYGW) peer-tools
	@echo "## large objects: backfill vs aws s3 sync and rclone copy"
	$(GO) run ./bench/large -objects 4 -size-mib 1024 -runs 3

clean:
	rm -rf bin
