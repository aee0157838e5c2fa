"""Poll a Home Assistant URL every 10 ms until stdin closes; print the answer times.

Run as its own process (``python -m bench.poll URL``, the token in BENCH_TOKEN), so
whatever the benchmark's driver does meanwhile cannot delay the polls it measures.
Prints one JSON list of [sent, seconds] pairs, sent on the system's monotonic clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import aiohttp

INTERVAL_S = 0.010


async def poll(url: str, token: str) -> list[tuple[float, float]]:
    """GET url every INTERVAL_S until stdin closes; return when sent, and how long."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    closed = asyncio.ensure_future(reader.read())
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[tuple[float, float]] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        # One answer before the first sample: the connection is open and warm.
        async with session.get(url) as response:
            response.raise_for_status()
        print("ready", flush=True)  # noqa: T201 -- the driver waits for it
        due = time.monotonic()
        while not closed.done():
            sent = time.monotonic()
            async with session.get(url) as response:
                await response.read()
                response.raise_for_status()
            samples.append((sent, time.monotonic() - sent))
            due = max(due + INTERVAL_S, time.monotonic())
            # Pacing the poll; stdin closing ends the wait early.
            await asyncio.wait([closed], timeout=due - time.monotonic())
    return samples


def main() -> int:
    """Poll the URL given; print the samples."""
    samples = asyncio.run(poll(sys.argv[1], os.environ["BENCH_TOKEN"]))
    print(json.dumps(samples), flush=True)  # noqa: T201 -- the result
    return 0


if __name__ == "__main__":
    sys.exit(main())
