#!/usr/bin/env bash
# Runs every test: the Rust workspace's unit, integration and whole-system tests, and
# the Elixir libraries' ExUnit suites.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
# The whole-system tests start the real binaries, so build them first.
cargo build --workspace
for project in elixir/*/; do
    (cd "$project" && mix compile)
done
# Above the transport nothing may know Linux: kos-client's public API is checked.
scripts/check-client-api.py
# Every test bounds its own waits; this outer bound turns an unforeseen hang into a
# failure long before CI's 90 minutes.
timeout --signal=KILL 45m cargo test --workspace
# The kos Elixir library's own suite outside a system (its :kos-tagged tests run inside
# one, in test/tests/elixir_kos.rs).
(cd elixir/kos && mix test)
# The apps' and their protocol libraries' own unit tests (host-only: no system).
for project in elixir/weather_protocol elixir/weatherstation; do
    (cd "$project" && mix test)
done
# The mix tasks, run as a user runs them (archive install, kos.new … kos.push).
(cd elixir/kos_mix && mix test)
# Every parser fuzzed briefly (3000 runs a target, seconds); long campaigns:
# scripts/fuzz.sh --seconds 3600.
scripts/fuzz.sh
