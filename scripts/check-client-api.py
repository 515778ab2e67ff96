#!/usr/bin/env python3
"""Checks that kos-client's public API names no Linux type.

Everything above the transport must be able to run over seL4's endpoints instead of
Linux sockets, so the public items of kos-client (what apps and the NIF use) may name
the transport's opaque Channel but no descriptor, socket or libc/nix type. The check
reads rustdoc's JSON description of the crate (nightly rustdoc; stable has none) and
lists every type the crate's own public items refer to.

Usage: scripts/check-client-api.py [CRATE]   (default: kos-client)
Exit status 1 names each forbidden type and where it comes from.
"""
import json
import os
import shutil
import subprocess
import sys

FORBIDDEN = ("std::os::", "nix::", "libc::", "SeqPacket", "RawFd", "OwnedFd", "BorrowedFd")


def main():
    crate = sys.argv[1] if len(sys.argv) > 1 else "kos-client"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.path.join(root, "target", "api-check")
    have_nightly = shutil.which("cargo") and subprocess.run(
        ["cargo", "+nightly", "--version"], capture_output=True
    ).returncode == 0
    if not have_nightly:
        print(f"check-client-api: SKIPPED, no nightly toolchain for rustdoc's JSON output")
        return 0
    subprocess.run(
        ["cargo", "+nightly", "rustdoc", "-q", "-p", crate, "--lib", "--target-dir", target,
         "--", "-Zunstable-options", "--output-format", "json"],
        cwd=root, check=True,
    )
    doc = json.load(open(os.path.join(target, "doc", crate.replace("-", "_") + ".json")))
    paths = doc["paths"]
    found = {}

    def walk(node, owner):
        if isinstance(node, dict):
            if "resolved_path" in node:
                rp = node["resolved_path"]
                info = paths.get(str(rp.get("id")))
                name = "::".join(info["path"]) if info else rp.get("path", "?")
                found.setdefault(name, set()).add(owner)
            for value in node.values():
                walk(value, owner)
        elif isinstance(node, list):
            for value in node:
                walk(value, owner)

    for item in doc["index"].values():
        if item.get("crate_id") == 0 and item.get("visibility") == "public":
            walk(item.get("inner"), item.get("name") or "?")
    bad = {n: o for n, o in found.items() if any(f in n for f in FORBIDDEN)}
    if bad:
        for name, owners in sorted(bad.items()):
            print(f"check-client-api: {crate}'s public API names {name} (in {', '.join(sorted(owners))})")
        return 1
    print(f"check-client-api: {crate}'s public API names no Linux type ({len(found)} types checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
