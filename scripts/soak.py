#!/usr/bin/env python3
"""Soak: runs the demo system under load for a bounded time and reports, per app, its
memory, descriptors and threads at the start and at the end — what grows is a leak.

    scripts/soak.py                  # one hour
    scripts/soak.py --minutes 5      # a short one
    scripts/soak.py --minutes 60 --ping-every 2

The demo runs as `scripts/demo.sh` runs it (its own Orbit, its state directory), with
JSON logs, which give each app's process ids as they start. Meanwhile Orbit pings the
device every few seconds, and the weather sensor's and the engine ECU's cables are
pulled and plugged back every minute, so the servers' error paths run too. Not part of
the test command: it takes as long as it is asked to.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.path.join(ROOT, "demo-state")


def sample(pid):
    """(RSS KiB, open descriptors, threads) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        rss = int(fields["VmRSS"].split()[0])
        threads = int(fields["Threads"])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds, threads
    except (OSError, KeyError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60, help="how long (default 60)")
    parser.add_argument("--ping-every", type=float, default=5, help="seconds between Orbit pings")
    parser.add_argument("--warm-up", type=float, default=20, help="seconds before the first sample")
    args = parser.parse_args()
    seconds = int(args.minutes * 60)

    demo = subprocess.Popen(
        [os.path.join(ROOT, "scripts/demo.sh"), "--log-format", "json", "--stop-after", f"{seconds}s"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids = {}  # app -> current pid
    restarts = {}
    events = {"lines": 0, "pings": 0, "ping_failures": 0}
    lock = threading.Lock()

    def read():
        for line in demo.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # demo.sh's own lines
            with lock:
                events["lines"] += 1
                if event.get("event") == "started":
                    app = event["app"]
                    if app in pids:
                        restarts[app] = restarts.get(app, 0) + 1
                    pids[app] = event["pid"]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    orbit = [os.path.join(ROOT, "target/debug/orbit"), "--data", os.path.join(STATE, "orbit-data")]
    started = time.time()
    first = None
    last_pull = started
    try:
        while demo.poll() is None and time.time() - started < seconds - 5:
            time.sleep(args.ping_every)
            if time.time() - started < args.warm_up:
                continue
            if first is None:
                with lock:
                    first = {app: sample(pid) for app, pid in pids.items()}
                print(f"soak: first sample of {len(first)} apps after {args.warm_up:.0f} s", flush=True)
            ping = subprocess.run(orbit + ["ping", "demo-device"], capture_output=True, text=True)
            events["pings"] += 1
            events["ping_failures"] += ping.returncode != 0
            if time.time() - last_pull > 60:
                last_pull = time.time()
                for cable in ("bme280.unplugged", "ecu.unplugged"):
                    path = os.path.join(STATE, cable)
                    open(path, "w").close()
                time.sleep(3)
                for cable in ("bme280.unplugged", "ecu.unplugged"):
                    os.remove(os.path.join(STATE, cable))
        with lock:
            last = {app: sample(pid) for app, pid in pids.items()}
    finally:
        demo.terminate()
        demo.wait(timeout=60)

    if first is None:
        print("soak: too short to sample (raise --minutes or lower --warm-up)", file=sys.stderr)
        return 1
    elapsed = time.time() - started
    print(f"soak: {elapsed / 60:.1f} min, {events['lines']} log events, "
          f"{events['pings']} Orbit pings ({events['ping_failures']} failed)")
    print(f"{'app':<16} {'RSS KiB start':>14} {'end':>9} {'fds start':>10} {'end':>5} "
          f"{'threads':>8} {'end':>5} {'restarts':>9}")
    grew = []
    for app in sorted(set(first) | set(last)):
        a, b = first.get(app), last.get(app)
        cols = [f"{'-' if a is None else a[i]}" for i in range(3)]
        cole = [f"{'-' if b is None else b[i]}" for i in range(3)]
        print(f"{app:<16} {cols[0]:>14} {cole[0]:>9} {cols[1]:>10} {cole[1]:>5} "
              f"{cols[2]:>8} {cole[2]:>5} {restarts.get(app, 0):>9}")
        if a and b and b[1] > a[1]:
            grew.append(f"{app}: descriptors {a[1]} -> {b[1]}")
    for g in grew:
        print(f"soak: grew: {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
