# secprof — the two commands a newcomer needs are `make verify` (build, then
# lint the repository's fixtures and run the fixture test plan on the local
# backend, exactly as the GitHub Action would) and `make test` (the whole
# test suite, including the Docker and kind end-to-end tests).
SHELL := /bin/bash
GO ?= go
BIN ?= bin/secprof
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 30s
BENCHTIME ?= 1s

.PHONY: all build deps test verify bench fuzz e2e-env e2e-env-clean lint-self clean

all: build

deps:
	@hack/deps.sh build

build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/secprof

# The main job on the repository's own fixtures.
verify: build
	$(BIN) verify

# Everything: unit, golden, differential, and end-to-end tests against a real
# Docker engine and a real (offline-built) kind cluster.
test:
	@hack/deps.sh test
	@hack/test.sh

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./lint/... ./harness/...

# Runs every Fuzz target in the repository for FUZZTIME each.
fuzz: deps
	@hack/fuzz.sh $(FUZZTIME)

e2e-env:
	@hack/deps.sh test
	@hack/e2e-env.sh

e2e-env-clean:
	@hack/e2e-env-clean.sh

clean:
	rm -rf bin
