# backfill: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSITYGW_VERSION := v1.8.0
TOOLS := $(CURDIR)/.tools/bin
VERSITYGW := $(TOOLS)/versitygw
export BACKFILL_VERSITYGW := $(VERSITYGW)

.PHONY: build test test-large demo bench vet fmt-check clean tools

build:
	$(GO) build -o bin/backfill ./cmd/backfill

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

# Measurements behind BENCHMARKS.md (a few minutes on 2 cores). Each prints
# a markdown table; see BENCHMARKS.md for the method and the results.
BENCH_OBJECTS ?= 5000
bench: build $(VERSITYGW)
	@echo "## concurrency sweep, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 64,128,256,512 -runs 3
	@echo "## concurrency sweep, 100 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 100ms -levels 64,128,256,512 -runs 3
	@echo "## checkpoint on (default) vs --no-checkpoint, 25 ms per request"
	$(GO) run ./bench/concurrency -objects $(BENCH_OBJECTS) -latency 25ms -levels 256 -runs 7 -ab --no-checkpoint
	@echo "## checkpoint at a million done objects"
	$(GO) run ./bench/checkpoint -objects 1000000
	@echo "## S3 Inventory CSV reading, 10M rows"
	$(GO) run ./bench/inventory -rows 10000000
	@echo "## large objects: backfill vs aws s3 sync and rclone copy (installs awscli and rclone if missing)"
	@command -v rclone >/dev/null && [ -x /usr/bin/aws ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli rclone) || echo "could not install awscli/rclone: their rows are skipped"
	$(GO) run ./bench/large -objects 4 -size-mib 1024 -runs 3

clean:
	rm -rf bin
