#!/usr/bin/env bash
# Builds KOS and runs the hosted demo system (systems/demo.dts) until Ctrl-C.
# Extra arguments go to `kos run`, e.g. `scripts/demo.sh --stop-after 60s`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: building (first build downloads crates and takes a few minutes)"
cargo build --workspace
for project in elixir/*/; do
    (cd "$project" && mix compile)
done
echo "demo: booting systems/demo.dts; Ctrl-C stops every app cleanly"
exec target/debug/kos run systems/demo.dts "$@"
