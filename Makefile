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

.PHONY: help setup ui app run test test-rust test-ui e2e check bindings openapi fmt bench fuzz fuzz-smoke

help:
	@echo "make run    build and start the app with its embedded demo"
	@echo "make test   every test: Rust, UI, and end-to-end on the real app under Xvfb"
	@echo "make check  formatting, clippy, IPC bindings drift, UI type check and lint"
	@echo "make bench  benchmarks, each beside a reference measured in the same run"

setup:
	@bash scripts/setup.sh

ui: setup
	npm --prefix ui run build

# The real app, serving the bundled UI (the same binary the end-to-end tests drive).
app: ui
	cargo build -p multiline-app --features custom-protocol

run: app
	$(APP_BIN)

# Regenerates the TypeScript IPC types from Rust (ts-rs), the rules' answers the UI's fake
# reads (bindings/rules.json), and the types section of docs/ipc-contract.md.
# Everything in bindings/ is generated: a type no longer exported disappears.
bindings:
	rm -f ui/src/lib/ipc/bindings/*.ts ui/src/lib/ipc/bindings/*.json
	cargo test -q -p multiline-domain -p multiline-client export_bindings >/dev/null
	UPDATE_IPC_CONTRACT=1 cargo test -q -p multiline-app --lib the_ipc_contracts_types_are_the_bindings >/dev/null

# docs/openapi.json, from the connector's handlers (a test fails when it is out of date).
openapi:
	cargo run -q -p multiline-connector -- openapi > docs/openapi.json

check: setup
	cargo fmt --all --check
	python3 scripts/structure.py
	cargo clippy --workspace --all-targets -- -D warnings
	$(MAKE) --no-print-directory bindings
	@if ! git diff --quiet -- ui/src/lib/ipc/bindings docs/ipc-contract.md || \
	    [ -n "$$(git ls-files --others --exclude-standard ui/src/lib/ipc/bindings)" ]; then \
	  git status --short ui/src/lib/ipc/bindings docs/ipc-contract.md; \
	  echo "IPC bindings drifted from the Rust types: run 'make bindings' and commit"; exit 1; fi
	npm --prefix ui run check
	npm --prefix ui run lint

# Under a private D-Bus session with gnome-keyring, so the keychain tests use a real Secret
# Service (they are marked ignored for a bare `cargo test`, and included here).
test-rust: setup
	bash scripts/with-keyring.sh cargo test --workspace --exclude multiline-e2e -- --include-ignored

test-ui: setup
	npm --prefix ui test

e2e: app
	$(XVFB) env MULTILINE_APP_BIN=$(APP_BIN) cargo test -p multiline-e2e -- --test-threads=1 --nocapture

test: check test-rust test-ui fuzz-smoke e2e
	@echo "make test: all passed"

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
	cargo bench -p multiline-photo --bench photo
	cargo bench -p multiline-client --bench cache
	cargo bench -p multiline-connector --bench connector
	npm --prefix ui run build
	cargo build --release -p multiline-app --features custom-protocol
	cargo build --release -p multiline-demo
	$(XVFB) dbus-run-session -- env MULTILINE_APP_BIN=$(TARGET_DIR)/release/multiline cargo bench -p multiline-e2e --bench ui

fmt:
	cargo fmt --all
	npm --prefix ui run format
