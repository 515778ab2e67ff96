#!/usr/bin/env bash
# Installs what KOS needs on a Debian machine, only what is missing: dtc, Erlang/OTP,
# Elixir and openssl from Debian's packages. Rust crates come from crates.io through cargo.
# Safe to run any number of times.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need=()
command -v dtc >/dev/null 2>&1 || need+=(device-tree-compiler)
command -v erl >/dev/null 2>&1 || need+=(erlang-base erlang-dev erlang-crypto)
command -v elixir >/dev/null 2>&1 || need+=(elixir)
# Device keys and registration certificates are made with the openssl CLI (Orbit's tests
# and README do exactly what an operator does).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# `scripts/setup.sh --for-tests` (what scripts/test.sh runs) adds headless Chromium, in
# which Orbit's dashboard is tested.
if [ "${1:-}" = "--for-tests" ]; then
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    # KOS on seL4 (sel4/README.md): the kernel's build tools and generators (Debian's
    # Python with ply, six and tempita), QEMU to boot it, the ARM cross compiler for the
    # ARM boards' kernels. Installing qemu-system-x86 replaces a backported qemu-utils.
    command -v make >/dev/null 2>&1 || need+=(make)
    command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
    command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
    command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || need+=(gcc-arm-linux-gnueabihf)
    for module in ply six tempita; do
        /usr/bin/python3 -c "import $module" 2>/dev/null || need+=("python3-$module")
    done
fi

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]} (Debian packages)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found. KOS needs a Rust toolchain, 1.85 or newer (as rustup installs it)." >&2
    exit 1
fi

echo "setup: dtc $(dtc --version | awk '{print $NF}'), OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().'), $(elixir --version | tail -1), $(cargo --version)"
