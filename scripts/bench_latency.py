#!/usr/bin/env python3
"""Latency of a list of GET requests over one keep-alive connection, one at a time (what one clerk or one front-end
call waits), for scripts/bench-province.sh: p50, p99 and max in ms, and the statuses seen.

    scripts/bench_latency.py --base http://127.0.0.1:8080 --token T --paths FILE [--warmup N]

FILE holds one path per line (query string included). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
import urllib.parse


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--paths", required=True)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    url = urllib.parse.urlsplit(args.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    headers = {"Authorization": f"Bearer {args.token}", "Accept": "application/json"}
    with open(args.paths, encoding="utf-8") as f:
        paths = [line.strip() for line in f if line.strip()]
    statuses: dict[int, int] = {}
    timings: list[float] = []
    for i, path in enumerate(paths[: args.warmup] + paths):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= args.warmup:
            timings.append(elapsed)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
    timings.sort()
    print(json.dumps({
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 0.5), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "max_ms": round(timings[-1], 3) if timings else 0,
        "statuses": statuses,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
