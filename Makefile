# The two commands a newcomer needs: `make run` and `make test`. Each installs what is
# missing first (Debian packages through apt-get), then builds.

SHELL := /bin/bash
CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/target/demo

.PHONY: run test demo deps check-toolchain build fmt-check lint test-rust bench demo-data clean-demo

## run: build the `autowork` CLI, print its help and walk through a short demo
run: deps build
	@./scripts/demo-cli.sh "$(CURDIR)/target/debug/autowork" "$(DEMO_DIR)"

## test: format check, clippy, and every test
test: deps fmt-check lint test-rust

deps: check-toolchain
	@./scripts/install-deps.sh

check-toolchain:
	@command -v $(CARGO) >/dev/null || { \
	  echo "cargo is missing: install the Rust toolchain (rustup, Rust 1.85 or newer) and run make again."; exit 1; }

build:
	$(CARGO) build -p autowork-cli

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets --locked -- -D warnings

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --locked --no-fail-fast; \
	else \
	  echo "cargo-nextest not found; using cargo test"; \
	  $(CARGO) test --locked --no-fail-fast; \
	fi

## demo: the whole flow against the scripted model server, no API key needed
demo: deps
	$(CARGO) build -p autowork-cli -p autowork-mock-llm
	@./scripts/demo.sh

## bench: ledger and agent benchmarks (release build); print figures
bench:
	$(CARGO) bench -p autowork-core

clean-demo:
	rm -rf "$(DEMO_DIR)"
