#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Slow and idle HTTP clients against one listener, bounded in count and time.

  http_flood.py HOST PORT --trickle N --trickle-from A,B,.. --hold M --hold-from C,D,..
                [--every S] [--duration D] [--status FILE]

N trickling connections (round-robin over the --trickle-from addresses) each
send the start of a request and then one more header byte every S seconds,
never finishing it; M holding connections (over --hold-from) connect and send
nothing.  Every connection ends at D seconds at the latest.  When every
connect has been tried, "ready" goes to --status; at the end one JSON line to
stdout: per kind, how many connected, how many the server closed within a
second (refused by a limit), how many it closed later (and when), and how
many were still open at the end.
"""
import argparse
import asyncio
import json
import resource
import sys
import time

CONNECT_TIMEOUT_S = 10
REFUSED_WITHIN_S = 1.0


async def wait_closed_by_server(reader, until):
    """True when the server ended the stream before `until` (monotonic)."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return False
        try:
            data = await asyncio.wait_for(reader.read(4096), timeout=left)
        except asyncio.TimeoutError:
            return False
        except (ConnectionError, OSError):
            return True
        if not data:
            return True


async def trickle(reader, writer, host, port, every, until):
    writer.write(f"GET /metrics HTTP/1.1\r\nHost: {host}:{port}\r\nX-Slow: ".encode())
    while True:
        try:
            await writer.drain()
        except (ConnectionError, OSError):
            return True
        step = min(time.monotonic() + every, until)
        if await wait_closed_by_server(reader, step):
            return True
        if time.monotonic() >= until:
            return False
        writer.write(b"a")


async def one(kind, src, args, start, until, results, connects):
    async with connects:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(args.host, args.port, local_addr=(src, 0)),
                timeout=CONNECT_TIMEOUT_S)
        except (asyncio.TimeoutError, OSError):
            results[kind]["connect_failed"] += 1
            return
    opened = time.monotonic()
    results[kind]["connected"] += 1
    if kind == "trickle":
        closed = await trickle(reader, writer, args.host, args.port, args.every, until)
    else:
        closed = await wait_closed_by_server(reader, until)
    lived = time.monotonic() - opened
    r = results[kind]
    if not closed:
        r["still_open"] += 1
    elif lived < REFUSED_WITHIN_S:
        r["closed_at_once"] += 1
    else:
        r["closed_later"] += 1
        r["lived_min_s"] = min(r["lived_min_s"], round(lived, 2))
        r["lived_max_s"] = max(r["lived_max_s"], round(lived, 2))
    writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--trickle", type=int, default=0)
    p.add_argument("--trickle-from", default="")
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--hold-from", default="")
    p.add_argument("--every", type=float, default=3.0)
    p.add_argument("--duration", type=float, default=40.0)
    p.add_argument("--status", default=None)
    args = p.parse_args()
    if args.trickle + args.hold > 20000 or args.duration > 120:
        sys.exit("http_flood: bounded to 20000 connections and 120 s")

    # one fd per connection, and then some
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.trickle + args.hold + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    start = time.monotonic()
    until = start + args.duration
    empty = {"connected": 0, "connect_failed": 0, "closed_at_once": 0, "closed_later": 0,
             "still_open": 0, "lived_min_s": 1e9, "lived_max_s": 0}
    results = {"trickle": dict(empty), "hold": dict(empty)}
    # the kernel's accept queue is finite: open in waves, not all at once
    connects = asyncio.Semaphore(512)
    tasks = []
    for kind, n, sources in (("trickle", args.trickle, args.trickle_from),
                             ("hold", args.hold, args.hold_from)):
        srcs = [s for s in sources.split(",") if s]
        for i in range(n):
            tasks.append(asyncio.create_task(
                one(kind, srcs[i % len(srcs)], args, start, until, results, connects)))
    # ready once every connect has been tried
    while sum(results[k]["connected"] + results[k]["connect_failed"] for k in results) < len(tasks):
        if time.monotonic() >= until:
            break
        await asyncio.sleep(0.1)
    if args.status:
        with open(args.status, "w") as f:
            f.write("ready %.2f\n" % (time.monotonic() - start))
    await asyncio.gather(*tasks)
    for r in results.values():
        if r["lived_min_s"] == 1e9:
            r["lived_min_s"] = 0
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
