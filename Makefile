# Build, test and run aws-s3 in Go. `make` builds the shared library and the
# executable into build/; `make test` runs every test; `make demo` shows
# events flowing from an in-process S3.
GO       ?= go
BUILD    := build
GOFLAGS  := -trimpath
LDFLAGS  := -s -w
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Only aws_s3_* leaves the shared library (the Go runtime's cgo symbols
# stay local, so they cannot collide with the host's).
LIBLDFLAGS := -extldflags -Wl,--version-script=$(CURDIR)/goexport/exports.map

.PHONY: all lib exe test gotest ctest asan corpus demo bench vet fmt clean modulesd-test

# Wazuh agent sources with build-modulesd.sh (see its README).
WAZUH_SRC ?= $(abspath ../shared/wazuh)

all: lib exe

lib: $(BUILD)/libaws_s3.so
exe: $(BUILD)/aws-s3

GOSRC := $(shell find core goexport cmd -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.map') go.mod go.sum

$(BUILD)/libaws_s3.so: $(GOSRC) include/aws_s3.h
	@mkdir -p $(BUILD)
	CGO_ENABLED=1 $(GO) build $(GOFLAGS) -buildmode=c-shared -ldflags '$(LDFLAGS) $(LIBLDFLAGS) -X main.version=$(VERSION)' -o $@ ./goexport
	@rm -f $(BUILD)/libaws_s3.h

$(BUILD)/aws-s3: $(GOSRC)
	@mkdir -p $(BUILD)
	$(GO) build $(GOFLAGS) -ldflags '$(LDFLAGS) -X main.version=$(VERSION)' -o $@ ./cmd/aws-s3

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

gotest: all
	$(GO) test -race -count=1 ./...

ctest: lib exe
	cmake -S . -B $(BUILD)/cmake -DAWS_S3_LIBRARY=$(CURDIR)/$(BUILD)/libaws_s3.so >/dev/null
	cmake --build $(BUILD)/cmake -j2
	cd $(BUILD)/cmake && ctest --output-on-failure

# The C tests again with AddressSanitizer/UBSan on the shim and the tests
# (valgrind runs the shim test inside ctest already; the Go runtime is too
# noisy for valgrind around the real library).
asan: lib exe
	cmake -S . -B $(BUILD)/cmake-asan -DAWS_S3_LIBRARY=$(CURDIR)/$(BUILD)/libaws_s3.so -DAWS_S3_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/cmake-asan -j2
	cd $(BUILD)/cmake-asan && ctest --output-on-failure

# Replays the reference corpus through build/aws-s3 (needs moto_server).
corpus: exe
	tests/corpus/run.sh

# A real wazuh-modulesd with the shim (built from $(WAZUH_SRC) into
# build/modulesd, reused by the next run), tested end to end against
# versitygw (tests/modulesd). cshim/apply.sh --check proves the built tree
# holds exactly what the operators' script applies. Needs root and the
# group wazuh.
modulesd-test: lib exe
	nice -n 10 sh $(WAZUH_SRC)/build-modulesd.sh $(CURDIR)/$(BUILD)/modulesd $(CURDIR)
	sh cshim/apply.sh --check $(BUILD)/modulesd/wazuh
	AWS_S3_MODULESD=$(CURDIR)/$(BUILD)/modulesd AWS_S3_LIBRARY=$(CURDIR)/$(BUILD)/libaws_s3.so \
	AWS_S3_EXECUTABLE=$(CURDIR)/$(BUILD)/aws-s3 WAZUH_SRC=$(WAZUH_SRC) \
	$(GO) test -count=1 -v -timeout 15m ./tests/modulesd/

test: vet gotest ctest

# The demo is its own command: the installed aws-s3 links no fake S3.
demo:
	@mkdir -p $(BUILD)
	$(GO) build $(GOFLAGS) -o $(BUILD)/aws-s3-demo ./cmd/aws-s3-demo
	$(BUILD)/aws-s3-demo

# The reference Python wodle and build/aws-s3 side by side (bench A:
# CPU-bound, bench B: 50 ms per S3 request), with the ratio lines and our
# peak RSS. Smaller sizes and more rounds: see tests/bench/reference_test.go
# (AWS_S3_BENCH_*). BENCH=. runs every benchmark of tests/bench.
BENCH ?= Reference
bench: exe
	@PATH="$$($(GO) env GOPATH)/bin:$$PATH"; command -v versitygw >/dev/null || \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0
	nice $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 60m ./tests/bench/

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BUILD)
