"""The live event stream: latency to Home Assistant's bus, and its API calls at rest.

Latency: a real Home Assistant process (devtools) in stream mode against the
simulator in this process, on its real clock. Each text's emit time is taken as
the simulator queues its event to the open stream, and compared with the bus
event's time_fired and with its arrival on a websocket subscription, all on this
machine's clock. The baseline, alternated with the texts: an event fired over
the same websocket (fire_event), which crosses loopback into Home Assistant and
its bus as the stream's events do, without the stream.

At rest: an in-process Home Assistant and simulator on freezegun's clock, moved
one second at a time, so the simulator's heartbeats (15 s) come before the
stream's read timeout (20 s) as they do in real time, and its rotation (15 min),
the hourly catch-up and the coordinator's hourly poll all fire when due.
"""

from __future__ import annotations

# Home Assistant's utcnow is a partial freezegun cannot see; this makes it a function
# it patches (as the test harness does), so stream, catch-up and coordinator all
# read the stepped time.
import pytest_homeassistant_custom_component.patch_time  # noqa: F401  # isort: skip

import argparse
import asyncio
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import freezegun
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config

from custom_components.sendblue.const import (
    CONF_RECEIVE_MODE,
    EVENT_MESSAGE_RECEIVED,
    ReceiveMode,
)
from devtools.common import JsonObject, wait_until
from devtools.rest import HomeAssistantClient
from devtools.websocket import EventSubscription, HomeAssistantWebSocket
from sendblue_simulator import RealClock, Simulator, start_simulator
from sendblue_simulator.events import DataShape

from .hass import STARTUP_S, started_home_assistant
from .inprocess import UNUSED_URL, Clock, set_up, test_hass

ROOT = Path(__file__).resolve().parent.parent
TEXTS = 300
WARMUP_TEXTS = 20
# Texts a second (each alternated with a baseline event, one at a time): the rate
# of the restart test, and the burst that meets Sendblue's list limit.
RATE = 5.0
BURST_RATE = 10.0
BURST_TEXTS = 200
LATENCY_GOAL_MS = 50.0
EVENT_WAIT_S = 10.0
PING_EVENT = "sendblue_bench_ping"
CONTACT = "+15125550177"
# Quiet logging, as a user runs it: a debug line per event would be measured too.
CONFIGURATION = """\
homeassistant:
  name: Sendblue stream benchmark
  external_url: !env_var SENDBLUE_DEV_EXTERNAL_URL http://127.0.0.1:8123
  time_zone: UTC
  country: US
  unit_system: metric
  currency: USD
logger:
  default: warning
"""

# One step of simulated time: far below the gap between a heartbeat (15 s) and the
# read timeout (20 s), so every heartbeat is read before the timeout is due.
REST_STEP = timedelta(seconds=1)
# Loop turns after each step for loopback I/O (a heartbeat written, then read).
SETTLE_TURNS = 5
REST_HOURS = 3
# Counting starts this long after setup: every periodic call (15 min, 30 min, 1 h
# from setup) then falls inside the window, none on its edges.
REST_OFFSET = timedelta(minutes=7.5)
EVENTS_PATH = "/api/v2/events"
MESSAGES_PATH = "/api/v2/messages"
MESSAGE_PATH = f"{MESSAGES_PATH}/{{handle}}"
LINE_PATHS = frozenset(
    {
        "/api/lines",
        "/api/v2/lines/state",
        "/api/v2/lines/usage",
        "/api/v2/contacts/count",
    }
)


@dataclass(frozen=True, kw_only=True)
class RestCount:
    """API calls of one receive mode over simulated hours with nothing happening."""

    mode: str
    hours: float
    by_path: dict[str, int]
    receiver: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    streams_opened: int = 0

    @property
    def calls(self) -> int:
        """Return every call counted."""
        return sum(self.by_path.values())

    @property
    def per_hour(self) -> float:
        """Return the calls an hour."""
        return self.calls / self.hours


class _Warnings(logging.Handler):
    """Keep the integration's warnings: a failed stream would log one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def _path_kind(path: str) -> str:
    """Group a path: one message's fetch has the message's handle in it."""
    return MESSAGE_PATH if path.startswith(f"{MESSAGES_PATH}/") else path


async def _settle(hass: HomeAssistant) -> None:
    """Let what the step made due run, loopback reads and writes included."""
    await hass.async_block_till_done()
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)
    await hass.async_block_till_done()


async def _step(hass: HomeAssistant, clock: Clock, span: timedelta) -> None:
    """Move simulated time on by span, one step at a time."""
    for _ in range(round(span / REST_STEP)):
        clock.tick(REST_STEP)
        await _settle(hass)


async def _hours_at_rest(mode: ReceiveMode, clock: Clock, hours: float) -> RestCount:
    """Count one entry's requests over hours of simulated time, one step at a time."""
    warnings = _Warnings()
    logger = logging.getLogger("custom_components.sendblue")
    level, propagate = logger.level, logger.propagate
    # Kept here, whatever the root logger's level: they are part of the result.
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(warnings)
    try:
        async with (
            start_simulator(clock=RealClock(), seed=3) as simulator,
            test_hass() as hass,
        ):
            if mode is ReceiveMode.WEBHOOK:
                await async_process_ha_core_config(hass, {"external_url": UNUSED_URL})
            entry = await set_up(hass, simulator, mode)
            if mode is ReceiveMode.STREAM:
                await simulator.control.wait_for_streams(1)
            await _step(hass, clock, REST_OFFSET)
            before = len(simulator.control.requests())
            opened_before = simulator.control.events()["streams_opened"]
            await _step(hass, clock, timedelta(hours=hours))
            requests = simulator.control.requests()[before:]
            opened = simulator.control.events()["streams_opened"] - opened_before
            receiver = entry.runtime_data.receiver
            diagnostics = receiver.diagnostics() if receiver is not None else {}
    finally:
        logger.removeHandler(warnings)
        logger.setLevel(level)
        logger.propagate = propagate
    return RestCount(
        mode=str(mode),
        hours=hours,
        by_path=dict(Counter(_path_kind(request["path"]) for request in requests)),
        receiver=diagnostics,
        warnings=warnings.records,
        streams_opened=opened,
    )


def run_stream_at_rest(hours: float = REST_HOURS) -> list[RestCount]:
    """Count API calls at rest in stream mode, and in webhook mode as the baseline."""

    async def both(clock: Clock) -> list[RestCount]:
        return [
            await _hours_at_rest(mode, clock, hours)
            for mode in (ReceiveMode.STREAM, ReceiveMode.WEBHOOK)
        ]

    # As in inprocess.run_at_rest: frozen before the loop starts, ticking between
    # steps, so the loop's clock (time.monotonic) moves with Home Assistant's.
    with freezegun.freeze_time(datetime.now(UTC), tick=True) as clock:
        return asyncio.run(both(clock))


# -- latency -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Latency:
    """Milliseconds from emitting to the bus and to a websocket subscriber."""

    bus_ms: list[float]
    websocket_ms: list[float]


@dataclass(frozen=True, kw_only=True)
class LatencyRow:
    """Texts by the stream, and the baseline events alternated with them."""

    data_shape: str
    rate: float
    stream: Latency
    baseline: Latency
    replayed: int
    fetches: int
    # Requests of Home Assistant meanwhile that the simulator answered 429.
    throttled: int


@dataclass(frozen=True, kw_only=True)
class StreamResult:
    """Latency rows and load, calls at rest (stepped), and at rest in real time."""

    rows: list[LatencyRow]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    at_rest: list[RestCount] = field(default_factory=list)
    real_rest: RestCount | None = None


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share 0.99: p99)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(len(ordered) * share))
    return ordered[rank - 1]


def _fired_at(event: JsonObject) -> float:
    """Return an event's time_fired as a POSIX timestamp."""
    return datetime.fromisoformat(event["time_fired"]).timestamp()


@asynccontextmanager
async def _home_assistant(
    work: Path, simulator: Simulator
) -> AsyncIterator[HomeAssistantClient]:
    """Run Home Assistant with an entry in stream mode; yield a signed-in client."""
    async with started_home_assistant(
        work, simulator, configuration=CONFIGURATION
    ) as started:
        ha = started.ha
        # Explicitly, not by auto; the reload opens the stream again.
        opened = simulator.control.events()["streams_opened"]
        await ha.set_options(started.entry_id, {CONF_RECEIVE_MODE: ReceiveMode.STREAM})
        await _wait_stream(simulator, opened, started.check)
        await ha.wait_entry_state(started.entry_id, "loaded")
        yield ha


async def _wait_stream(
    simulator: Simulator, opened: int, check: Callable[[], None]
) -> None:
    """Wait until a stream opened after the first `opened` ones is the only one."""

    async def probe() -> bool | None:
        events = simulator.control.events()
        fresh = events["streams_opened"] > opened and events["open_streams"] == 1
        return True if fresh else None

    await wait_until(probe, within=STARTUP_S, what="the event stream", check=check)


class _Alternation:
    """Texts by the stream alternated with baseline events, one at a time."""

    def __init__(self, simulator: Simulator, ws: HomeAssistantWebSocket) -> None:
        self.simulator = simulator
        self.ws = ws
        self.texts = EventSubscription()
        self.pings = EventSubscription()
        self.sent = 0

    async def subscribe(self) -> None:
        """Subscribe to both event types."""
        self.texts = await self.ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
        self.pings = await self.ws.subscribe_events(PING_EVENT)
        for subscription in (self.texts, self.pings):
            subscription.wait_s = EVENT_WAIT_S

    async def text(self) -> tuple[float, float, bool]:
        """Send a text; return ms to time_fired, ms to the websocket, replayed."""
        self.sent += 1
        record = self.simulator.control.inject_inbound(
            from_number=CONTACT,
            to_number=self.simulator.lines[0],
            content=f"bench {self.sent}",
        )
        # Its event is queued to the open stream now: the writer sends it next.
        emitted = time.time()
        handle = record["message_handle"]
        event = await self.texts.next(
            lambda e: e["data"].get("message_handle") == handle
        )
        received = time.time()
        return (
            (_fired_at(event) - emitted) * 1000,
            (received - emitted) * 1000,
            bool(event["data"].get("replayed")),
        )

    async def ping(self) -> tuple[float, float]:
        """Fire an event over the websocket; return ms to time_fired and back."""
        self.sent += 1
        n = self.sent
        sent = time.time()
        command = asyncio.create_task(
            self.ws.command("fire_event", event_type=PING_EVENT, event_data={"n": n})
        )
        event = await self.pings.next(lambda e: e["data"].get("n") == n)
        received = time.time()
        await command
        return (_fired_at(event) - sent) * 1000, (received - sent) * 1000

    async def measure(self, *, count: int, rate: float) -> LatencyRow:
        """Alternate count texts with count baseline events at rate texts a second."""
        stream = Latency(bus_ms=[], websocket_ms=[])
        baseline = Latency(bus_ms=[], websocket_ms=[])
        replayed = 0
        before = len(self.simulator.control.requests())
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(count):
            bus, websocket, was_replayed = await self.text()
            stream.bus_ms.append(bus)
            stream.websocket_ms.append(websocket)
            replayed += was_replayed
            # Paced on the clock: what a slow event costs is not made up later.
            await asyncio.sleep(max(0.0, start + (i + 0.5) / rate - loop.time()))
            bus, websocket = await self.ping()
            baseline.bus_ms.append(bus)
            baseline.websocket_ms.append(websocket)
            await asyncio.sleep(max(0.0, start + (i + 1) / rate - loop.time()))
        requests = self.simulator.control.requests()[before:]
        return LatencyRow(
            data_shape=str(self.simulator.control.events()["data_shape"]),
            rate=rate,
            stream=stream,
            baseline=baseline,
            replayed=replayed,
            fetches=sum(_path_kind(r["path"]) == MESSAGE_PATH for r in requests),
            throttled=sum(
                r["status"] == HTTPStatus.TOO_MANY_REQUESTS for r in requests
            ),
        )


async def run_stream_latency(
    *,
    texts: int = TEXTS,
    burst_texts: int = BURST_TEXTS,
    rest_minutes: float = 0.0,
    keep: Path | None = None,
) -> StreamResult:
    """Measure stream latency in a real Home Assistant; then maybe stay at rest.

    rest_minutes: then count the calls the idle entry makes that long, in real
    time, with the simulator's heartbeat and rotation at their defaults.
    """
    work = keep or Path(tempfile.mkdtemp(prefix="sendblue-stream-bench-"))
    real_rest: RestCount | None = None
    async with (
        start_simulator(clock=RealClock(), seed=11) as simulator,
        _home_assistant(work, simulator) as ha,
        ha.websocket() as ws,
    ):
        alternation = _Alternation(simulator, ws)
        await alternation.subscribe()
        await alternation.measure(count=WARMUP_TEXTS, rate=RATE)
        load_before = os.getloadavg()
        rows = []
        for shape, count, rate in (
            (DataShape.MINIMAL, texts, RATE),
            (DataShape.FULL, texts, RATE),
            (DataShape.MINIMAL, burst_texts, BURST_RATE),
        ):
            simulator.control.configure_events(data_shape=shape)
            rows.append(await alternation.measure(count=count, rate=rate))
        load_after = os.getloadavg()
        simulator.control.configure_events(data_shape=DataShape.MINIMAL)
        if rest_minutes > 0:
            real_rest = await _real_rest(simulator, rest_minutes)
    if keep is None:
        with suppress(OSError):
            shutil.rmtree(work)
    return StreamResult(
        rows=rows,
        load_before=load_before,
        load_after=load_after,
        real_rest=real_rest,
    )


async def _real_rest(simulator: Simulator, minutes: float) -> RestCount:
    """Count the requests of the idle entry over minutes of real time."""
    before = len(simulator.control.requests())
    opened = simulator.control.events()["streams_opened"]
    # This wait is the measurement: nothing else happens meanwhile.
    await asyncio.sleep(minutes * 60)
    requests = simulator.control.requests()[before:]
    return RestCount(
        mode=str(ReceiveMode.STREAM),
        hours=minutes / 60,
        by_path=dict(Counter(_path_kind(request["path"]) for request in requests)),
        streams_opened=simulator.control.events()["streams_opened"] - opened,
    )


def run_stream(*, rest_minutes: float = 0.0, keep: Path | None = None) -> StreamResult:
    """Run the latency benchmark, then the stepped hours at rest."""
    result = asyncio.run(run_stream_latency(rest_minutes=rest_minutes, keep=keep))
    return replace(result, at_rest=run_stream_at_rest())


# -- report ------------------------------------------------------------------------

LATENCY_INTRO = (
    "A real Home Assistant process (devtools; no recorder, logging at warning) with"
    " the entry in `stream` mode; the simulator in the benchmark's process on its"
    " real clock (heartbeat 15 s, rotation 15 min). Each text is injected at the"
    " simulator, which queues its `message.received` event to the open stream at"
    " once; latency runs from then to the `sendblue_message_received` event's"
    " `time_fired` (Home Assistant's clock: the bus) and to its arrival on a"
    " websocket `subscribe_events` in the benchmark, all on this machine's clock."
    " Baseline, alternated one to one with the texts: an event fired with"
    " `fire_event` over the same websocket (loopback into Home Assistant and its bus,"
    " without the stream). `minimal` data (the simulator's default: handle, status,"
    " numbers, no text) makes the integration fetch each message"
    " (`GET /api/v2/messages/{handle}`); `full` data carries the message. One text"
    " at a time, paced; neither process pinned; other jobs shared the two cores."
)
AT_REST_INTRO = (
    "In-process Home Assistant and simulator on freezegun's clock, moved one second"
    " at a time, counted over {hours:g} hours from 7.5 minutes after setup (so no"
    " periodic call sits on an edge of the window). Every timer fires when due as in"
    " real time: the simulator's heartbeat every 15 s, the stream's 20 s read"
    " timeout, the rotation after 15 min, the hourly catch-up check, the"
    " coordinator's poll. (`async_fire_time_changed` is not used: it runs every timer"
    " due within a jump at once, the read timeout before the heartbeat is read.)"
    " Webhook mode, counted the same way in the same run, is the baseline."
)
LATENCY_HEADER = (
    "| `data`, texts a second | texts | to the bus p50 / p99 / max (ms)"
    " | to the websocket p50 / p99 | baseline to the bus p50 / p99"
    " | p99 (goal < 50 ms) | p50 / baseline p50 | fetches | 429s | replayed |"
)


def _ms(values: list[float], *shares: float) -> str:
    """Return percentiles of values as one cell."""
    return " / ".join(f"{percentile(values, share):.1f}" for share in shares)


def _load(load: tuple[float, float, float]) -> str:
    """Return load averages like uptime."""
    return ", ".join(f"{value:.2f}" for value in load)


def _latency_section(result: StreamResult) -> list[str]:
    """Return the latency section."""
    lines = [
        "## Live event stream latency (real Home Assistant process)",
        "",
        (
            f"{LATENCY_INTRO} Load average (1, 5, 15 min) before"
            f" {_load(result.load_before)}, after {_load(result.load_after)}."
        ),
        "",
        LATENCY_HEADER,
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result.rows:
        p99 = percentile(row.stream.bus_ms, 0.99)
        ratio = percentile(row.stream.bus_ms, 0.5) / percentile(
            row.baseline.bus_ms, 0.5
        )
        verdict = "met" if p99 < LATENCY_GOAL_MS else "**not met**"
        lines.append(
            f"| `{row.data_shape}`, {row.rate:g}/s | {len(row.stream.bus_ms)}"
            f" | {_ms(row.stream.bus_ms, 0.5, 0.99, 1.0)}"
            f" | {_ms(row.stream.websocket_ms, 0.5, 0.99)}"
            f" | {_ms(row.baseline.bus_ms, 0.5, 0.99)}"
            f" | {p99:.1f} ms ({verdict}) | {ratio:.1f}"
            f" | {row.fetches} | {row.throttled} | {row.replayed} |"
        )
    return lines


def _kinds(count: RestCount) -> str:
    """Return stream opens, catch-up listings and line polls an hour as cells."""
    per_hour = {
        kind: sum(n for path, n in count.by_path.items() if match(path)) / count.hours
        for kind, match in (
            ("opens", lambda path: path == EVENTS_PATH),
            ("catch-ups", lambda path: path == MESSAGES_PATH),
            ("polls", lambda path: path in LINE_PATHS),
        )
    }
    return " | ".join(f"{value:g}" for value in per_hour.values())


def _rest_row(count: RestCount) -> str:
    """Return one row of an at-rest table."""
    paths = ", ".join(f"`{path}` {n}" for path, n in sorted(count.by_path.items()))
    return (
        f"| {count.mode} | {count.per_hour:g} | {_kinds(count)} | {paths}"
        f" | {count.streams_opened} |"
    )


REST_HEADER = [
    (
        "| receive mode | API calls per hour | stream opens | catch-up listings"
        " | line polls | by endpoint (whole window) | streams opened |"
    ),
    "|---|---|---|---|---|---|---|",
]


def _at_rest_section(counts: list[RestCount]) -> list[str]:
    """Return the stepped at-rest section."""
    hours = counts[0].hours if counts else REST_HOURS
    lines = [
        "## Live event stream: API calls at rest (simulated hours)",
        "",
        AT_REST_INTRO.format(hours=hours),
        "",
        *REST_HEADER,
        *(_rest_row(count) for count in counts),
    ]
    for count in counts:
        if (diagnostics := count.receiver) and "connections" in diagnostics:
            catchup = diagnostics["catchup"]
            summary = (
                "Stream receiver at the end (counted from setup):"
                f" {diagnostics['connections']} connections, {catchup['runs']}"
                f" catch-up runs, {len(count.warnings)} warnings logged."
            )
            lines += ["", summary]
    return lines


def _real_rest_section(count: RestCount) -> list[str]:
    """Return the real-time at-rest section."""
    minutes = count.hours * 60
    how = (
        "measured over a whole hour"
        if minutes >= 60  # noqa: PLR2004
        else f"extrapolated from {minutes:g} minutes to an hour"
    )
    intro = (
        "The same real Home Assistant process after the latency run, left alone"
        f" {minutes:g} minutes with the simulator's heartbeat (15 s) and rotation"
        f" (15 min) at their defaults; requests counted at the simulator; per hour"
        f" {how}."
    )
    return [
        "## Live event stream: API calls at rest (real time)",
        "",
        intro,
        "",
        *REST_HEADER,
        _rest_row(count),
    ]


def render(result: StreamResult) -> str:
    """Return the stream's sections of the report."""
    lines = [*_latency_section(result), ""]
    if result.at_rest:
        lines += [*_at_rest_section(result.at_rest), ""]
    if result.real_rest is not None:
        lines += [*_real_rest_section(result.real_rest), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stream benchmarks and print their sections."""
    parser = argparse.ArgumentParser(prog="python -m bench.stream", description=__doc__)
    parser.add_argument(
        "--rest-minutes",
        type=float,
        default=0.0,
        help="then leave the real Home Assistant idle this long, counting calls",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep Home Assistant's config and log here"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    sys.stdout.write(render(run_stream(rest_minutes=args.rest_minutes, keep=args.keep)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
