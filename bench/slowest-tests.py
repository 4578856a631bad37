#!/usr/bin/env python3
"""The slowest test collections (classes) and tests of an xUnit v3 result file (`-result-xml FILE`), slowest first.

    python3 bench/slowest-tests.py FILE [COUNT]

Why: on a fresh GPU machine the whole Sage.Gpu.Tests took 220-234 s where a second run on the same machine took 54-59 s
(sessions 47-48, same carried kernel cache, every module a cache hit); the per-class times of the next first run say
where that time goes.
"""
import sys
import xml.etree.ElementTree as ET

path, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8
root = ET.parse(path).getroot()
collections = [(float(c.get("time", 0)), c.get("name", "").split(" (id:")[0].removeprefix("Test collection for "), int(c.get("total", 0)))
               for c in root.iter("collection")]
tests = [(float(t.get("time", 0)), t.get("name", ""), t.get("result", "")) for t in root.iter("test")]
total = sum(t for t, _, _ in collections)
print(f"{len(collections)} collections, {len(tests)} tests, {total:.1f} s summed over collections (they run in parallel)")
print("slowest collections:")
for time, name, n in sorted(collections, reverse=True)[:count]:
    print(f"  {time:8.1f} s  {name} ({n} tests)")
print("slowest tests:")
for time, name, result in sorted(tests, reverse=True)[:count]:
    print(f"  {time:8.1f} s  {name[:150]} [{result}]")
