# The two commands a newcomer needs: `make run` and `make test`. Each installs what is
# missing first (Debian packages, tauri-driver, UI packages), then builds.

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test demo bench bench-app deps check-toolchain ui app fmt-check lint test-rust test-ui test-app e2e

## run: build the UI and the desktop app and open it (without a display: the CLI tour)
run: deps app
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  ./target/debug/autowork-app; \
	else \
	  echo "No display: showing the command line instead (the app needs a desktop session)."; \
	  ./scripts/demo-cli.sh "$(CURDIR)/target/debug/autowork" "$(CURDIR)/target/demo"; \
	fi

## test: formatting, lints, engine and CLI tests, UI checks, the app, and end to end in the real window
test: deps fmt-check lint test-rust test-ui test-app e2e

## demo: a whole run against the scripted model server in a terminal, no API key needed
demo: deps
	$(CARGO) build -p autowork-cli -p autowork-mock-llm
	@./scripts/demo.sh

## bench: ledger, agent, scheduler and team database benchmarks (release build); print figures
bench:
	./scripts/with-postgres.sh $(CARGO) bench -p autowork-core

## bench-app: desktop cold start, idle memory and frame time (release build of the app)
bench-app: deps ui
	$(CARGO) build --release -p autowork-app
	$(CARGO) build -p autowork-cli -p autowork-mock-llm
	$(CARGO) build -p autowork-core --example seed
	./scripts/e2e.sh tests/e2e/bench.mjs

deps: check-toolchain
	@./scripts/install-deps.sh

check-toolchain:
	@command -v $(CARGO) >/dev/null || { \
	  echo "cargo is missing: install the Rust toolchain (rustup, Rust 1.85 or newer) and run make again."; exit 1; }

ui:
	cd ui && npm run build

app: ui
	$(CARGO) build -p autowork-app -p autowork-cli -p autowork-mock-llm

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets --locked -- -D warnings

# The engine's tests beside a throwaway PostgreSQL (scripts/with-postgres.sh starts it on a
# Unix socket and removes it afterwards): every test once, then the engine's suite again
# with the ledger on PostgreSQL (AUTOWORK_TEST_STORE=postgres: the same tests, the team
# database's backend).
test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  ./scripts/with-postgres.sh bash -c '$(CARGO) nextest run --locked --no-fail-fast && \
	    AUTOWORK_TEST_STORE=postgres $(CARGO) nextest run --locked --no-fail-fast -E "package(autowork-core) and binary(all)"'; \
	else \
	  echo "cargo-nextest not found; using cargo test"; \
	  ./scripts/with-postgres.sh bash -c '$(CARGO) test --locked --no-fail-fast && \
	    AUTOWORK_TEST_STORE=postgres $(CARGO) test --locked --no-fail-fast -p autowork-core --test all'; \
	fi

test-ui:
	cd ui && npm run typecheck && npm run lint && npm test

test-app: ui
	$(CARGO) clippy -p autowork-app --all-targets --locked -- -D warnings
	$(CARGO) test -p autowork-app --locked

e2e: app
	$(CARGO) build -p autowork-core --example seed
	./scripts/with-postgres.sh ./scripts/e2e.sh
