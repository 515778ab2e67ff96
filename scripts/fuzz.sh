#!/usr/bin/env bash
# Fuzzes KOS's parsers with cargo-fuzz (libFuzzer, nightly Rust): the manifest blob,
# the message-server frames, the bundle reader, Orbit's device messages and operator
# key files, the I2C server's requests and the CAN records (fuzz/fuzz_targets/).
#
#   scripts/fuzz.sh                  every target for a bounded number of runs (the test
#                                    command runs this: seconds per target)
#   scripts/fuzz.sh --seconds 3600   every target for an hour each, printing executions
#   scripts/fuzz.sh --runs 100000 manifest_blob bundle_reader
#
# The checked-in seeds (fuzz/corpus/TARGET) are read, never written: new inputs go to
# target/fuzz-corpus/TARGET, so long runs keep their progress between runs. A crash
# stops the run, leaves its input under fuzz/artifacts/TARGET and exits non-zero;
# reproduce it with `cd fuzz && cargo +nightly fuzz run TARGET artifacts/TARGET/crash-…`.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3000
seconds=""
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

echo "fuzz: building ${#targets[@]} targets (nightly, address sanitizer)"
(cd fuzz && cargo +nightly fuzz build)

total=0
for t in "${targets[@]}"; do
    out="target/fuzz-corpus/$t"
    mkdir -p "$out"
    if [ -n "$seconds" ]; then
        limit=(-max_total_time="$seconds")
    else
        limit=(-runs="$runs")
    fi
    log=$(mktemp)
    if ! (cd fuzz && cargo +nightly fuzz run "$t" "../$out" "corpus/$t" -- \
            "${limit[@]}" -max_len=8192 -print_final_stats=1) >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "fuzz: $t FAILED; the input is under fuzz/artifacts/$t" >&2
        rm -f "$log"
        exit 1
    fi
    executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    total=$((total + executed))
    printf 'fuzz: %-16s %10s runs, coverage %s, no crash\n' "$t" "$executed" "$coverage"
    rm -f "$log"
done
echo "fuzz: ${#targets[@]} targets, $total runs in all, no crash"
