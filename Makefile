# landlord: `make run` starts everything on a laptop, `make test` checks everything.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO    ?= go
BIN   := $(CURDIR)/bin

# Pinned tools, built from source with `go install`.
TEMPORAL_CLI          := github.com/temporalio/cli/cmd/temporal@v1.5.1
SQLC                  := github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
STRIPE_MOCK           := github.com/stripe/stripe-mock@v0.203.0
WORKFLOWCHECK         := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
TOOLS := $(TEMPORAL_CLI) $(SQLC) $(STRIPE_MOCK) $(WORKFLOWCHECK)
# One stamp per pinned version, so a new pin rebuilds the tool.
stamp = $(BIN)/.$(subst /,_,$(1))

.PHONY: run run-cluster web test lint unit bench build generate tools clean
.DEFAULT_GOAL := test

run: $(call stamp,$(TEMPORAL_CLI)) build ## PostgreSQL + Temporal dev server + landlord dev (builds only what it runs)
	./scripts/run.sh

run-cluster: $(call stamp,$(TEMPORAL_CLI)) build ## run's services with two API processes behind one address and two workers
	./scripts/run-cluster.sh

test: tools lint unit ## everything: formatting, vet, workflowcheck, sqlc freshness, compose file, all tests

lint: tools build node_modules/.package-lock.json
	@echo "--- gofmt"; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@echo "--- go vet"; $(GO) vet ./...
	@echo "--- workflowcheck"; $(BIN)/workflowcheck ./workflows/...
	@echo "--- sqlc freshness"; $(BIN)/sqlc diff || { echo "generated code in db/ is stale: run make generate"; exit 1; }
	@echo "--- docker-compose.yml"; ./scripts/check-compose.sh
	@echo "--- Prometheus config, alert rules and their tests"; promtool check config deploy/prometheus/prometheus.yml && \
	  promtool test rules deploy/prometheus/alerts_test.yml
	@echo "--- OpenAPI document"; $(BIN)/landlord openapi > $(BIN)/openapi.json && \
	  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint $(BIN)/openapi.json

unit: tools web
	@echo "--- portal component tests"; cd web && npm test
	@echo "--- go test"; $(GO) test -race -count=1 -timeout 20m ./...

bench: $(call stamp,$(TEMPORAL_CLI)) build ## signup-to-ready latency and throughput, and the CREATE DATABASE floor
	./scripts/bench.sh

bench-portal: tools web ## the portal's first page on a first visit, in chromium (p50 and max of 20 visits)
	$(GO) test ./e2e -run '^$$' -bench FirstRender -benchtime 1x

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

# npm packages, pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The portal: npm packages pinned by web/package-lock.json, API types generated
# from the OpenAPI document, built into web/dist and embedded in landlord.
WEB_SRC := $(wildcard web/index.html web/vite.config.ts web/tsconfig.json web/src/*.ts* web/src/*/*.ts*)
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC) $(wildcard server/*.go)
	$(GO) run ./cmd/landlord openapi > web/openapi.json
	cd web && npm run build

web: web/dist/index.html

build: web
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN)/landlord ./cmd/landlord

generate: tools
	$(BIN)/sqlc generate

tools: $(foreach t,$(TOOLS),$(call stamp,$(t)))

$(call stamp,$(TEMPORAL_CLI)) $(call stamp,$(STRIPE_MOCK)) $(call stamp,$(WORKFLOWCHECK)):
	@mkdir -p $(BIN)
	@echo "--- building $(subst _,/,$(patsubst .%,%,$(notdir $@)))"
	GOBIN=$(BIN) $(GO) install $(subst _,/,$(patsubst .%,%,$(notdir $@)))
	@touch $@

$(call stamp,$(SQLC)):
	@mkdir -p $(BIN)
	@echo "--- building $(SQLC) (cgo)"
	GOBIN=$(BIN) CGO_ENABLED=1 $(GO) install $(SQLC)
	@touch $@

clean:
	rm -rf $(BIN)
