# MultiLine WhatsApp Messaging. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Builds stay in the clone's own target/ (CARGO_TARGET_DIR overrides): a target directory
# shared by two clones lets cargo reuse a binary built from the other clone's sources.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export PATH := $(HOME)/.cargo/bin:$(PATH)
# WebKitGTK without a GPU (VMs, Xvfb) draws nothing with the DMA-BUF renderer.
export WEBKIT_DISABLE_DMABUF_RENDERER ?= 1
APP_BIN := $(TARGET_DIR)/debug/multiline
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: help setup ui app run test test-rust test-ui e2e test-package package check bindings bindings-check openapi fmt bench fuzz fuzz-smoke

help:
	@echo "make run    build and start the app with its embedded demo"
	@echo "make test   every test: Rust, UI, and end-to-end on the real app under Xvfb"
	@echo "make check  formatting, clippy, IPC bindings drift, UI type check and lint"
	@echo "make bench  benchmarks, each beside a reference measured in the same run"
	@echo "make package  the app's .deb and .rpm and the connector's .deb (release build)"

setup:
	@bash scripts/setup.sh

ui: setup
	npm --prefix ui run build

# The real app, serving the bundled UI (the same binary the end-to-end tests drive).
app: ui
	cargo build --locked -p multiline-app --features custom-protocol

run: app
	$(APP_BIN)

# Regenerates the TypeScript IPC types from Rust (ts-rs), the rules' answers the UI's fake
# reads (bindings/rules.json), and the types section of docs/ipc-contract.md.
# Everything in bindings/ is generated: a type no longer exported disappears.
BINDINGS_SCOPE ?= --locked -p multiline-domain -p multiline-client -p multiline-app
bindings:
	rm -f ui/src/lib/ipc/bindings/*.ts ui/src/lib/ipc/bindings/*.json
	cargo test -q --lib $(BINDINGS_SCOPE) export_bindings >/dev/null
	UPDATE_IPC_CONTRACT=1 cargo test -q --lib $(BINDINGS_SCOPE) \
	  the_ipc_contracts_types_are_the_bindings >/dev/null

# docs/openapi.json, from the connector's handlers (a test fails when it is out of date).
openapi:
	cargo run -q --locked -p multiline-connector -- openapi > docs/openapi.json

# Fails when `make bindings` changed what is committed.
bindings-check: bindings
	@if ! git diff --quiet -- ui/src/lib/ipc/bindings docs/ipc-contract.md || \
	    [ -n "$$(git ls-files --others --exclude-standard ui/src/lib/ipc/bindings)" ]; then \
	  git status --short ui/src/lib/ipc/bindings docs/ipc-contract.md; \
	  echo "IPC bindings drifted from the Rust types: run 'make bindings' and commit"; exit 1; fi

# Formatting, the structure rules (scripts/structure.py), lints, the bindings, the UI's types
# and lint.
check: setup
	cargo fmt --all --check
	python3 scripts/structure.py
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(MAKE) --no-print-directory bindings-check
	npm --prefix ui run check
	npm --prefix ui run lint

# Under a private D-Bus session with gnome-keyring, so the keychain tests use a real Secret
# Service (they are marked ignored for a bare `cargo test`, and included here).
test-rust: setup
	bash scripts/with-keyring.sh cargo test --workspace --exclude multiline-e2e --locked -- --include-ignored

test-ui: setup
	npm --prefix ui test

e2e: app
	$(XVFB) bash scripts/with-postgres.sh env MULTILINE_APP_BIN=$(APP_BIN) cargo test --locked -p multiline-e2e -- --test-threads=1 --nocapture

# `make test` compiles the workspace once: every library, binary, test and benchmark, with
# the app serving its bundled UI (the binary the end-to-end tests drive), in one cargo
# invocation so that every later one finds it built (one set of features for all: a cargo
# command that selects other packages or targets would resolve other features and compile
# much of it again). Its members are linted as they compile, by clippy-driver as the rustc
# wrapper, with the lints and `-D warnings` of `cargo clippy` (which would otherwise check
# everything a second time). docs/testing.md has the figures.
TEST_CARGO := --workspace --locked --features multiline-app/custom-protocol
CLIPPY_DRIVER := $(shell command -v clippy-driver 2>/dev/null)
test: export RUSTC_WORKSPACE_WRAPPER = $(CLIPPY_DRIVER)
test: export CLIPPY_ARGS = -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
test: setup
	@test -n "$(CLIPPY_DRIVER)" || { echo "clippy-driver not found (rustup component add clippy)"; exit 1; }
	cargo fmt --all --check
	python3 scripts/structure.py
	npm --prefix ui run build
	cargo build $(TEST_CARGO) --all-targets
	$(MAKE) --no-print-directory bindings-check BINDINGS_SCOPE="$(TEST_CARGO)"
	npm --prefix ui run check
	npm --prefix ui run lint
	bash scripts/with-postgres.sh bash scripts/with-keyring.sh cargo test $(TEST_CARGO) --tests -- --include-ignored --skip e2e::
	npm --prefix ui test
	env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS $(MAKE) --no-print-directory fuzz-smoke
	$(XVFB) bash scripts/with-postgres.sh env MULTILINE_APP_BIN=$(APP_BIN) cargo test $(TEST_CARGO) --tests e2e:: -- --test-threads=1 --nocapture
	bash scripts/test-package.sh
	@echo "make test: all passed"

# The packages of the debug build `make test` made, installed on this machine, checked, run
# end to end (the installed connector and app) and removed (scripts/test-package.sh; root).
test-package: setup
	bash scripts/test-package.sh

# The release packages (docs/packaging.md): the app's .deb and .rpm, the connector's .deb,
# in target/release/packages/.
package: ui
	cargo build --release --locked -p multiline-app --features custom-protocol -p multiline-connector
	bash scripts/package.sh release

# The webhook parser under libFuzzer (cargo-fuzz, on the stable toolchain: RUSTC_BOOTSTRAP
# lets it pass the sanitizer-coverage flags; no sanitizer). `make test` runs a fixed seed
# and number of runs (same inputs every time); `make fuzz` explores for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
# `cargo fuzz` takes no --locked: `cargo metadata --locked` first fails on a stale lockfile.
FUZZ := cd fuzz && cargo metadata --locked --format-version 1 >/dev/null && \
	mkdir -p target/corpus && cp seeds/* target/corpus/ && \
	RUSTC_BOOTSTRAP=1 cargo fuzz run -s none webhook_parse target/corpus --
fuzz-smoke: setup
	$(FUZZ) -seed=1 -runs=300000 -rss_limit_mb=2048

fuzz: setup
	$(FUZZ) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048

# Release builds; figures are medians, reported as ratios against a reference from the same
# run (docs/benchmarks.md).
bench: setup
	bash scripts/bench-setup.sh
	cargo bench -p multiline-photo --bench photo
	MULTILINE_BENCH_PYTHON=$(TARGET_DIR)/bench-venv/bin/python cargo bench -p multiline-photo --bench formats
	cargo bench -p multiline-client --bench cache
	MULTILINE_PG_DURABLE=1 bash scripts/with-postgres.sh cargo bench -p multiline-connector --bench connector
	npm --prefix ui run build
	cargo build --release -p multiline-app --features custom-protocol
	cargo build --release -p multiline-demo
	$(XVFB) dbus-run-session -- env MULTILINE_APP_BIN=$(TARGET_DIR)/release/multiline cargo bench -p multiline-e2e --bench ui

fmt:
	cargo fmt --all
	npm --prefix ui run format
