"""Webhook hardening: what a caller without the secret can do to Home Assistant.

In a real Home Assistant process, twice: with the integration as it was before the
hardening (a git revision, by default 088b0ed) and with this tree's. Each time:

- 100 corrupt-gzip requests without the secret, one after the other: how many lines
  they add to Home Assistant's log (home-assistant.log, between two marker lines
  written through system_log.write, so nothing is counted before it is flushed);
- 20 concurrent gzip bombs without the secret (100 MB of zeros, about 100 KB
  compressed, Content-Encoding: gzip): the latency of an authenticated GET /api/,
  polled every 10 ms by a process of its own (bench/poll.py), during the attack
  (until AFTERMATH_S after the last bomb was answered) against the same poll before.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from shutil import rmtree

import aiohttp

from devtools.common import DevToolsError, wait_until
from devtools.integration import INTEGRATION_DIR
from sendblue_simulator import RealClock, start_simulator

from .hass import (
    ROOT,
    RunningHomeAssistant,
    integration_at,
    pin_cores,
    running_home_assistant,
)

BASE_REVISION = "088b0ed"
BOMBS = 20
BOMB_SIZE = 100 * 1024 * 1024
CORRUPT_REQUESTS = 100
BASELINE_S = 3.0
# Polled on after the last bomb is answered: a drained body is inflated after that.
AFTERMATH_S = 2.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=120)
MARKER = "sendblue hardening bench: {}"


@dataclass(frozen=True, kw_only=True)
class Latencies:
    """GET /api/ answer times, ms."""

    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latencies:
        """Summarize answer times given in seconds."""
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            samples=len(ms),
            p50_ms=statistics.median(ms),
            p99_ms=ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))],
            max_ms=ms[-1],
        )


@dataclass(frozen=True, kw_only=True)
class HardeningRun:
    """What the attacks did to one revision of the integration."""

    revision: str
    baseline: Latencies
    attack: Latencies
    attack_s: float  # first bomb sent to last answered, and AFTERMATH_S more
    bombs: dict[str, int]  # outcome (status or client error) -> count
    log_lines: int  # added by the corrupt-gzip requests
    corrupt: dict[str, int]

    @property
    def added_delay_ms(self) -> float:
        """Return how much longer the slowest poll took than a usual one."""
        return self.attack.max_ms - self.baseline.p50_ms


def gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    """Return a gzip stream of size zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, compressor.flush()])


def corrupt_gzip() -> bytes:
    """Return a gzip header followed by a deflate stream that cannot be inflated."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    # 0xff starts a block of type 3, which is reserved: "invalid block type".
    return header + b"\xff" * 512


async def _outcome(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> str:
    """POST a body; return the status, or the error the client saw."""
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        return type(err).__name__


async def _marker(running: RunningHomeAssistant, name: str) -> int:
    """Write a marker line to Home Assistant's log; return its line number."""
    text = MARKER.format(name)
    await running.ha.call_service(
        "system_log", "write", {"message": text, "level": "warning"}
    )
    log = running.config_dir / "home-assistant.log"

    async def written() -> int | None:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return next((n for n, line in enumerate(lines) if text in line), None)

    return await wait_until(written, within=30, what=f"log marker {name}")


async def _log_lines(running: RunningHomeAssistant) -> tuple[int, dict[str, int]]:
    """Send the corrupt-gzip requests; return the log lines they added."""
    start = await _marker(running, "corrupt gzip start")
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    body = corrupt_gzip()
    outcomes: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=HTTP_TIMEOUT
    ) as session:
        for _ in range(CORRUPT_REQUESTS):
            outcomes[await _outcome(session, running.webhook_url, body, headers)] += 1
    end = await _marker(running, "corrupt gzip end")
    return end - start - 1, dict(outcomes)


async def _start_poller(running: RunningHomeAssistant) -> Process:
    """Start polling GET /api/ in a process of its own; return once it polls."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.poll",
        f"{running.base_url}/api/",
        cwd=ROOT,
        env={**os.environ, "BENCH_TOKEN": running.ha.token or ""},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None  # noqa: S101 -- piped just above
    if (await process.stdout.readline()).strip() != b"ready":
        msg = f"the poller did not start (exit {await process.wait()})"
        raise DevToolsError(msg)
    return process


async def _stop_poller(process: Process) -> list[tuple[float, float]]:
    """Stop the poller; return when it sent each GET and how long the answer took."""
    stdout, _ = await process.communicate()
    samples: list[tuple[float, float]] = json.loads(stdout)
    return samples


async def _bombs(running: RunningHomeAssistant) -> dict[str, int]:
    """Send the gzip bombs at once; return how each was answered."""
    bomb = gzip_bomb()
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=HTTP_TIMEOUT
    ) as session:
        outcomes = await asyncio.gather(
            *(
                _outcome(session, running.webhook_url, bomb, headers)
                for _ in range(BOMBS)
            )
        )
    return dict(Counter(outcomes))


async def _attack(revision: str, integration: Path, work: Path) -> HardeningRun:
    """Run both attacks on one revision of the integration."""
    ha_prefix, _, _ = pin_cores()
    async with (
        start_simulator(clock=RealClock(), seed=3) as simulator,
        running_home_assistant(
            work, simulator, ha_prefix, integration=integration
        ) as running,
    ):
        log_lines, corrupt = await _log_lines(running)
        poller = await _start_poller(running)
        # Pacing: the poll runs alone this long, then during the attack.
        await asyncio.sleep(BASELINE_S)
        attack_started = time.monotonic()
        bombs = await _bombs(running)
        await asyncio.sleep(AFTERMATH_S)
        attack_s = time.monotonic() - attack_started
        samples = await _stop_poller(poller)
    # A poll still waiting when the attack started was delayed by it.
    during = [took for sent, took in samples if sent + took >= attack_started]
    before = [took for sent, took in samples if sent + took < attack_started]
    return HardeningRun(
        revision=revision,
        baseline=Latencies.of(before),
        attack=Latencies.of(during),
        attack_s=attack_s,
        bombs=bombs,
        log_lines=log_lines,
        corrupt=corrupt,
    )


def _revisions(base: str | None, stack: ExitStack) -> Iterator[tuple[str, Path]]:
    """Yield the revisions to attack, each with its integration directory."""
    if base:
        yield base, stack.enter_context(integration_at(base))
    yield "this tree", INTEGRATION_DIR


async def run_hardening(
    *, base: str | None = BASE_REVISION, keep: Path | None = None
) -> list[HardeningRun]:
    """Attack the integration at base (if given), then this tree's."""
    runs = []
    with ExitStack() as stack:
        for revision, integration in _revisions(base, stack):
            work = (keep / f"hardening-{revision}".replace(" ", "-")) if keep else None
            work = work or Path(tempfile.mkdtemp(prefix="sendblue-hardening-"))
            runs.append(await _attack(revision, integration, work))
            if keep is None:
                with suppress(OSError):
                    rmtree(work)
    return runs
