#!/usr/bin/env python3
"""Completes package-lock.json with platform-specific optional packages.

The npm registry mirror our machines reach serves only the Linux builds of some packages
(Tailwind's native `oxide` binding, for instance). `npm install` then writes a lock file
without the other platforms' entries, and `npm ci` refuses it as out of sync. A lock made
against the full registry lists them as optional, with `os`/`cpu` so that npm skips them
on other platforms without fetching anything: this script adds exactly those entries.
Run it after every `npm install` that rewrites the lock file.
"""
import json
import re
import sys

PLATFORM = re.compile(
    r"-(?P<os>android|darwin|freebsd|linux|win32|wasm32)-?(?P<cpu>arm64|x64|arm|ia32|wasi)?"
)


def platform(name):
    base = name.rsplit("/", 1)[-1]
    m = PLATFORM.search(base)
    if not m:
        return None
    if m["os"] == "wasm32":
        return {"cpu": ["wasm32"]}
    return {"os": [m["os"]], "cpu": [m["cpu"] or "x64"]}


def main(path="package-lock.json"):
    with open(path) as f:
        lock = json.load(f)
    packages = lock["packages"]
    added = []
    for key, pkg in list(packages.items()):
        for dep, version in pkg.get("optionalDependencies", {}).items():
            entry = f"node_modules/{dep}"
            if entry in packages or f"{key}/{entry}" in packages:
                continue
            plat = platform(dep)
            if plat is None:
                continue
            packages[entry] = {"version": version, **plat, "optional": True, "dev": True}
            added.append(entry)
    lock["packages"] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != "", kv[0])))
    with open(path, "w") as f:
        json.dump(lock, f, indent=2)
        f.write("\n")
    print(f"added {len(added)} platform entries" + "".join(f"\n  {a}" for a in added))


if __name__ == "__main__":
    main(*sys.argv[1:])
