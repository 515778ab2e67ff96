#!/usr/bin/env bash
# Builds KOS, starts a local Orbit with the demo device registered, and runs the hosted
# demo system (systems/demo.dts, whose device_admin connects to that Orbit) until Ctrl-C.
# Extra arguments go to `kos run`, e.g. `scripts/demo.sh --stop-after 60s`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: building (first build downloads crates and takes a few minutes)"
cargo build --workspace
for project in elixir/*/; do
    (cd "$project" && mix compile)
done

# A local Orbit with this demo device registered: the device's key is made with openssl,
# as an operator would, and kept in demo-state/ with Orbit's data (SQLite, admin token).
state=demo-state
mkdir -p "$state"
if [ ! -f "$state/device.pem" ]; then
    openssl genpkey -algorithm ed25519 -out "$state/device.pem"
    openssl pkey -in "$state/device.pem" -pubout -out "$state/device.pub.pem"
fi
# The deployment's key: upgrade bundles must be signed with it; the device gets its
# public half.
if [ ! -f "$state/deploy.pem" ]; then
    openssl genpkey -algorithm ed25519 -out "$state/deploy.pem"
    openssl pkey -in "$state/deploy.pem" -pubout -out "$state/deploy.pub.pem"
fi
orbit() { target/debug/orbit --data "$state/orbit-data" "$@"; }
# Started directly (not through the function) so that $! is Orbit itself.
target/debug/orbit --data "$state/orbit-data" serve --listen 127.0.0.1:4000 >"$state/orbit.log" 2>&1 &
orbit_pid=$!
trap 'kill "$orbit_pid" 2>/dev/null || true; wait "$orbit_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    orbit devices >/dev/null 2>&1 && break
    if ! kill -0 "$orbit_pid" 2>/dev/null; then
        echo "demo: Orbit did not start (is port 4000 taken?):" >&2
        cat "$state/orbit.log" >&2
        exit 1
    fi
    sleep 0.2
done
if ! orbit devices | grep -q '^demo-device '; then
    orbit device register demo-device --public-key "$state/device.pub.pem"
fi
echo "demo: Orbit runs on 127.0.0.1:4000 (log: $state/orbit.log)"
echo "demo: dashboard: http://127.0.0.1:4000/#token=$(cat "$state/orbit-data/admin-token")"
echo "demo: try \`target/debug/orbit --data $state/orbit-data ping demo-device\` (or restart, devices, commands)"
echo "demo: \`touch $state/bme280.unplugged\` pulls the weather sensor's cable, \`touch $state/ecu.unplugged\` takes the engine ECU off the CAN bus (rm to plug back in)"
rm -f "$state/bme280.unplugged" "$state/ecu.unplugged"
echo "demo: booting systems/demo.dts (or the upgrade it kept: $state/boot-target); Ctrl-C stops every app and Orbit cleanly"
target/debug/kos run systems/demo.dts --state-dir "$state" "$@"
