# Build, test and release tasks for mlops. `make help` lists the targets.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     := bin/mlops
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test run bench bench-forest lint fmt clean release-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build a static binary into bin/mlops
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

test: ## run all tests (Redis and Docker tests skip when those are missing)
	go test ./...

run: build ## train on the built-in Iris data and run the end-to-end demo
	$(BIN) demo

bench: ## run the benchmarks (training speed, prediction, HTTP load)
	go test -run '^$$' -bench . -benchmem ./pkg/...

bench-forest: ## compare forest fit time with scikit-learn (needs python3-sklearn)
	scripts/bench-forest.sh

lint: ## gofmt, go vet and staticcheck, as CI runs them
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt: ## format all Go files
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -rf bin dist

release-check: ## check the goreleaser configuration (needs goreleaser)
	goreleaser check
