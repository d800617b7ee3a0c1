# Thin targets; CI calls the same ones (.ci/run runs `make test`).
GO      ?= go
BIN     ?= bin/renewkit
REPORTS ?= reports
PKGS    ?= ./...
IMAGE   ?= renewkit:dev

.PHONY: all build test race unit lint bench fuzz run serve image clean

all: build

## build: the one static binary, bin/renewkit
build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/renewkit

## test: lint, then every test with the race detector (what CI runs)
test: lint race

## race: every package's tests under -race; browser screenshots go to $(REPORTS)/browser
race:
	RENEWKIT_ARTIFACTS=$(CURDIR)/$(REPORTS) $(GO) test -race -count=1 $(PKGS)

## unit: every package's tests, no race detector (quicker while editing)
unit:
	$(GO) test $(PKGS)

## lint: gofmt, go vet and staticcheck (pinned in go.mod's tool directive)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

## bench: the SRP and server benchmarks; compare the cpu-ns/op column within one run
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 3 ./srp ./refserver

## fuzz: every native fuzz target in every package, found with go test -list, for
## FUZZTIME each (go test -fuzz takes one target of one package per run)
FUZZTIME ?= 5s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

## run: the main job, the conformance suite against the built-in reference server
run: build
	$(BIN) conform --report-dir $(REPORTS)/conform

## serve: the reference server on :8080 with the default fixtures and a SQLite store
serve: build
	$(BIN) serve --addr 127.0.0.1:8080

## image: the reference server's container image, FROM scratch (see Dockerfile)
image:
	rm -rf build/image && mkdir -p build/image/data build/image/tmp
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -ldflags '-s -w' -o build/image/renewkit ./cmd/renewkit
	cp fixtures/default.yaml build/image/fixtures.yaml
	docker build -q -t $(IMAGE) -f Dockerfile build/image

clean:
	rm -rf bin build $(REPORTS)
