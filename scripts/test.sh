#!/usr/bin/env bash
# Runs every test: unit, integration and whole-system tests of the Rust workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The whole-system tests start the real binaries, so build them first.
cargo build --workspace
for project in elixir/*/; do
    (cd "$project" && mix compile)
done
# Every test bounds its own waits; this outer bound turns an unforeseen hang into a
# failure long before CI's 90 minutes.
timeout --signal=KILL 45m cargo test --workspace
