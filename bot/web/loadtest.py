"""Bounded load test of running replicas on this machine: throughput, latency, errors, memory.

python -m bot.web.loadtest --url http://127.0.0.1:8000 --clients 16 --duration 60 --pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import itertools
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import httpx

# Asked besides the profile's examples: one the documents cannot answer, so refusals are timed too.
OFF_TOPIC = "明天的天气怎么样？"
MAX_CLIENTS = 64
MAX_DURATION_S = 600


def loopback_only(url: str) -> str:
    """Return `url` if its host is `localhost` or a loopback address; raise ValueError if not."""
    parsed = urlparse(url)
    host = parsed.hostname
    if parsed.scheme not in ("http", "https") or not host:
        raise ValueError(f"{url!r} is not a URL like http://127.0.0.1:8000")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"{url!r} is not on the loopback interface; this tool only loads 127.0.0.1"
        )
    return url.rstrip("/")


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def memory_of(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, in MiB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    return {
        "pid": pid,
        "command": cmdline[:120],
        "peak_rss_mib": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
        "rss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
    }


async def run(
    urls: list[str],
    clients: int,
    duration_s: float,
    max_requests: int,
    timeout_s: float,
    token: str | None,
    questions: list[str],
) -> dict:
    """Drive `clients` concurrent askers over `urls` (round robin) until time or count runs out."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = itertools.count()
    stop_at = time.monotonic() + duration_s
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int, http: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            i = next(issued)
            if i >= max_requests:
                return
            url = urls[(n + i) % len(urls)]
            question = questions[i % len(questions)]
            started = time.perf_counter()
            try:
                response = await http.post(f"{url}/api/ask", json={"question": question})
            except httpx.HTTPError as e:
                errors[type(e).__name__] += 1
                continue
            if response.status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors[f"HTTP {response.status_code}"] += 1

    began = time.monotonic()
    async with httpx.AsyncClient(
        headers=headers, timeout=timeout_s, limits=limits, trust_env=False
    ) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    elapsed = time.monotonic() - began
    latencies.sort()
    done = len(latencies) + sum(errors.values())
    return {
        "urls": urls,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": done,
        "ok": len(latencies),
        "errors": dict(errors),
        "requests_per_s": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else 0.0,
        },
    }


def report(result: dict) -> str:
    lat = result["latency_ms"]
    lines = [
        f"targets:    {', '.join(result['urls'])}",
        f"clients:    {result['clients']} for {result['seconds']} s",
        f"requests:   {result['ok']} ok, {sum(result['errors'].values())} errors "
        f"{result['errors'] or ''}".rstrip(),
        f"throughput: {result['requests_per_s']} requests/s",
        f"latency:    p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, "
        f"max {lat['max']} ms",
    ]
    for mem in result.get("memory", []):
        lines.append(
            f"memory:     pid {mem['pid']} peak {mem['peak_rss_mib']} MiB "
            f"(now {mem['rss_mib']} MiB): {mem['command']}"
        )
    if result.get("memory"):
        total = sum(m["peak_rss_mib"] for m in result["memory"])
        lines.append(f"peak total: {round(total, 1)} MiB")
    return "\n".join(lines)


def questions(path: str | None = None) -> list[str]:
    """The questions of a JSON-lines file (a "question" on each line, as eval/qa.jsonl has), or
    else the profile's example questions (docs/profile.toml) and one off-topic question."""
    if path:
        with open(path, encoding="utf-8") as lines:
            asked = [json.loads(line)["question"] for line in lines if line.strip()]
        if not asked:
            raise ValueError(f"{path}: no questions")
        return asked
    from bot.settings import Settings

    return [*Settings.from_env().profile().examples, OFF_TOPIC]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.web.loadtest",
        description="对本机运行中的 API 副本做有上限的压测：每秒请求数、延迟分位数、错误数和峰值内存。"
        " Only loopback URLs are accepted. Start the replicas with"
        " JJQA_RATE_LIMIT_PER_MINUTE=0 JJQA_MAX_INFLIGHT_PER_CLIENT=0: every client here has"
        " the same address, so the per-client limits would answer 429.",
    )
    parser.add_argument(
        "--url",
        action="append",
        help="API base URL on this machine; repeat for several replicas "
        "(default http://127.0.0.1:8000)",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=60, help="seconds to run (default 60)")
    parser.add_argument(
        "--max-requests", type=int, default=20000, help="hard cap on requests (default 20000)"
    )
    parser.add_argument("--timeout", type=float, default=60, help="per-request timeout, seconds")
    parser.add_argument(
        "--pid",
        type=int,
        action="append",
        default=[],
        help="server process to report peak memory (VmHWM) for; repeat for each replica",
    )
    parser.add_argument("--token", default=os.environ.get("JJQA_API_TOKEN"), help="bearer token")
    parser.add_argument(
        "--questions",
        metavar="FILE",
        help='JSON lines with a "question" each, asked in turn (default: the profile\'s examples,'
        " which repeat, so the server's query cache answers most of them)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be above 0 and at most {MAX_DURATION_S}")
    if args.max_requests < 1:
        parser.error("--max-requests must be at least 1")
    try:
        urls = [loopback_only(u) for u in args.url or ["http://127.0.0.1:8000"]]
        asked = questions(args.questions)
    except (OSError, ValueError, KeyError) as e:
        parser.error(f"{e}")
    result = asyncio.run(
        run(
            urls,
            args.clients,
            args.duration,
            args.max_requests,
            args.timeout,
            args.token,
            asked,
        )
    )
    try:
        result["memory"] = [memory_of(pid) for pid in args.pid]
    except (OSError, KeyError) as e:
        print(f"cannot read memory of a --pid: {e}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False) if args.json else report(result))
    return 0 if not result["errors"] and result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
