"""Benchmarks on an in-process Home Assistant against the in-process simulator.

Home Assistant here is pytest-homeassistant-custom-component's test instance (a real
core with its registries), driven from a plain asyncio program; the integration uses
its real client over loopback. Simulated time (the hour at rest) moves with freezegun
and async_fire_time_changed, as Home Assistant's own tests move it.
"""

from __future__ import annotations

# Ours first: the test harness ships a custom_components package that would shadow it.
import custom_components.sendblue  # noqa: F401  # isort: skip

import asyncio
import gc
import json
import logging
import statistics
import sys
import tracemalloc
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any, cast

import freezegun
from freezegun.api import (
    FrozenDateTimeFactory,
    StepTickTimeFactory,
    TickingDateTimeFactory,
)
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import frame
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.sendblue.api import parse_webhook
from custom_components.sendblue.const import (
    CONF_ACCOUNT_EMAIL,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_BASE_URL,
    CONF_RECEIVE_MODE,
    CONF_WEBHOOK_SECRET,
    DEDUPE_SIZE,
    DEFAULT_POLLING_INTERVAL,
    DOMAIN,
    ReceiveMode,
)
from custom_components.sendblue.inbound import SendblueInbound
from sendblue_simulator import RealClock, Simulator, start_simulator

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = ROOT / "tests" / "fixtures" / "webhook_message_received.json"
# What freezegun hands out: each can tick.
type Clock = TickingDateTimeFactory | StepTickTimeFactory | FrozenDateTimeFactory
# Sendblue lets a line send 10 messages a second.
LINE_RATE = 10.0
HOUR = timedelta(hours=1)
# Steps of the polling interval: every periodic task runs when it is due.
STEP = timedelta(seconds=DEFAULT_POLLING_INTERVAL)
# Nothing listens there: at rest nobody calls the webhook.
UNUSED_URL = "http://127.0.0.1:9"
MEMORY_CHECKPOINTS = (DEDUPE_SIZE, 10_000, 100_000)
OUTBOX_MESSAGES = 100
# Sendblue down this long (real time) before it comes back.
OUTAGE_S = 5.0


@asynccontextmanager
async def test_hass() -> AsyncIterator[HomeAssistant]:
    """Run a test Home Assistant that loads our custom integration."""
    async with async_test_home_assistant() as hass:
        frame.async_setup(hass)
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        try:
            yield hass
        finally:
            await hass.async_stop(force=True)


async def set_up(
    hass: HomeAssistant, simulator: Simulator, mode: ReceiveMode
) -> MockConfigEntry:
    """Add an entry for the simulator's account and set it up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Benchmark",
        unique_id=simulator.api_key_id,
        data={
            CONF_API_KEY_ID: simulator.api_key_id,
            CONF_API_SECRET_KEY: simulator.api_secret_key,
            CONF_BASE_URL: simulator.base_url,
            CONF_ACCOUNT_EMAIL: simulator.config.account_email,
            "webhook_id": "bench",
            CONF_WEBHOOK_SECRET: "bench-secret",
        },
        options={CONF_RECEIVE_MODE: mode},
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        msg = f"setup failed: {entry.state} {entry.reason}"
        raise RuntimeError(msg)
    await hass.async_block_till_done()
    return entry


# -- fan-out ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FanOutRow:
    """One sendblue.send_message to many recipients from one line."""

    recipients: int
    wall_s: float
    floor_s: float
    rejections: int
    failed: int


async def run_fan_out(sizes: tuple[int, ...] = (50, 200)) -> list[FanOutRow]:
    """Send to each number of recipients from a fresh line, rate limit on."""
    rows = []
    async with (
        start_simulator(clock=RealClock(), seed=7, rate_limits=True) as simulator,
        test_hass() as hass,
    ):
        await set_up(hass, simulator, ReceiveMode.OFF)
        lines = simulator.lines
        for index, size in enumerate(sizes):
            line = lines[index % len(lines)]
            if index >= len(lines):
                # Every line has sent: let its bucket fill up again (a real wait).
                await asyncio.sleep(2 * 10 / LINE_RATE)
            recipients = [f"+1555{size:03d}{n:04d}" for n in range(size)]
            before = len(simulator.control.requests())
            start = perf_counter()
            response = await hass.services.async_call(
                DOMAIN,
                "send_message",
                {"to": recipients, "message": "Fan-out", "from_number": line},
                blocking=True,
                return_response=True,
            )
            wall = perf_counter() - start
            if response is None:
                msg = "sendblue.send_message returned no response"
                raise RuntimeError(msg)
            messages = cast("list[dict[str, Any]]", response["messages"])
            requests = simulator.control.requests()[before:]
            rows.append(
                FanOutRow(
                    recipients=size,
                    wall_s=wall,
                    floor_s=size / LINE_RATE,
                    rejections=sum(r["status"] == 429 for r in requests),  # noqa: PLR2004
                    failed=sum("error" in message for message in messages),
                )
            )
    return rows


# -- outbox after an outage ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """100 messages queued on one line while Sendblue refused connections."""

    shape: str
    messages: int
    # Sendblue listening again until the outbox is empty.
    drain_s: float
    # Sendblue listening again until it took the first message (the probe).
    first_s: float
    floor_s: float
    # The same messages sent right away, Sendblue up: the same run's baseline.
    direct_s: float
    rejections: int
    failed: int


async def _until_empty(outbox: Any) -> None:  # noqa: ANN401 - the entry's outbox
    """Wait until the outbox holds nothing."""
    empty = asyncio.Event()

    def changed() -> None:
        if not outbox.queued:
            empty.set()

    remove = outbox.async_add_listener(changed)
    try:
        changed()
        await empty.wait()
    finally:
        remove()


async def _send_each(
    hass: HomeAssistant, line: str, batches: list[list[str]], text: str
) -> list[dict[str, Any]]:
    """Call sendblue.send_message once per batch of recipients; return the results."""
    results: list[dict[str, Any]] = []
    for to in batches:
        response = await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"to": to, "message": text, "from_number": line},
            blocking=True,
            return_response=True,
        )
        if response is None:
            msg = "sendblue.send_message returned no response"
            raise RuntimeError(msg)
        results += cast("list[dict[str, Any]]", response["messages"])
    return results


async def _outbox_round(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    *,
    shape: str,
    batches: list[list[str]],
) -> OutboxRow:
    """Send directly (the baseline), then queue the same during an outage; drain."""
    line = simulator.lines[0]
    messages = sum(len(batch) for batch in batches)
    start = perf_counter()
    await _send_each(hass, line, batches, "Direct")
    direct = perf_counter() - start
    # Down long enough for the probes to reach their slowest pace, and for the
    # line's burst to come back.
    await simulator.stop_listening()
    await entry.runtime_data.coordinator.async_refresh()
    queued = await _send_each(hass, line, batches, "After the outage")
    if any(result.get("status") != "queued" for result in queued):
        msg = f"not every message was queued: {queued[:3]}"
        raise RuntimeError(msg)
    await asyncio.sleep(OUTAGE_S)
    before = len(simulator.control.requests())
    back = datetime.now(UTC)
    start = perf_counter()
    await simulator.start_listening()
    await _until_empty(entry.runtime_data.outbox)
    drain = perf_counter() - start
    requests = simulator.control.requests()[before:]
    taken = [r for r in requests if r["path"] == "/api/send-message"]
    first = next(r for r in taken if r["status"] == 200)  # noqa: PLR2004
    return OutboxRow(
        shape=shape,
        messages=messages,
        drain_s=drain,
        first_s=(datetime.fromisoformat(first["at"]) - back).total_seconds(),
        floor_s=messages / LINE_RATE,
        direct_s=direct,
        rejections=sum(r["status"] == 429 for r in requests),  # noqa: PLR2004
        failed=sum(r["status"] != 200 for r in taken),  # noqa: PLR2004
    )


async def run_outbox(rounds: int = 2) -> list[OutboxRow]:
    """Drain 100 queued messages on one line after an outage, rate limit on."""
    # The polls that fail while Sendblue is down are expected, not news.
    coordinator_log = logging.getLogger("custom_components.sendblue")
    level = coordinator_log.level
    coordinator_log.setLevel(logging.CRITICAL)
    try:
        return await _outbox_rounds(rounds)
    finally:
        coordinator_log.setLevel(level)


async def _outbox_rounds(rounds: int) -> list[OutboxRow]:
    """Run the rounds of the outbox benchmark."""
    rows = []
    async with (
        start_simulator(clock=RealClock(), seed=11, rate_limits=True) as simulator,
        test_hass() as hass,
    ):
        entry = await set_up(hass, simulator, ReceiveMode.OFF)
        for round_ in range(rounds):
            numbers = [f"+1555{round_:03d}{n:04d}" for n in range(OUTBOX_MESSAGES)]
            rows.append(
                await _outbox_round(
                    hass,
                    simulator,
                    entry,
                    shape="100 recipients, one action",
                    batches=[numbers],
                )
            )
            rows.append(
                await _outbox_round(
                    hass,
                    simulator,
                    entry,
                    shape="one recipient, 100 actions",
                    batches=[[numbers[0]]] * OUTBOX_MESSAGES,
                )
            )
    return rows


# -- cost at rest ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AtRestRow:
    """API calls in a simulated hour with nothing happening."""

    mode: str
    calls: int
    by_path: dict[str, int]


async def _hour_at_rest(mode: ReceiveMode, clock: Clock) -> AtRestRow:
    """Count the requests one entry makes in an hour of Home Assistant time."""
    async with (
        start_simulator(clock=RealClock(), seed=3) as simulator,
        test_hass() as hass,
    ):
        if mode is ReceiveMode.WEBHOOK:
            # A URL to register, so webhook mode is set up as for a user.
            await async_process_ha_core_config(hass, {"external_url": UNUSED_URL})
        await set_up(hass, simulator, mode)
        before = len(simulator.control.requests())
        for _ in range(int(HOUR / STEP)):
            clock.tick(STEP)
            async_fire_time_changed(hass)
            # Refreshes and polls run as background tasks.
            await hass.async_block_till_done(wait_background_tasks=True)
        requests = simulator.control.requests()[before:]
    return AtRestRow(
        mode=str(mode),
        calls=len(requests),
        by_path=dict(Counter(request["path"] for request in requests)),
    )


def run_at_rest() -> list[AtRestRow]:
    """Count API calls per hour in webhook mode and in polling mode."""

    async def both(clock: Clock) -> list[Any]:
        return [
            await _hour_at_rest(mode, clock)
            for mode in (ReceiveMode.WEBHOOK, ReceiveMode.POLLING)
        ]

    # Frozen before anything starts, so the event loop's clock never jumps back;
    # ticking, so real time (and every timeout) still passes between the steps.
    with freezegun.freeze_time(datetime.now(UTC), tick=True) as clock:
        return asyncio.run(both(clock))


# -- setup time ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetupTime:
    """How long setting the entry up takes."""

    samples: int
    first_ms: float
    median_ms: float
    calls_per_setup: int


async def run_setup_time(samples: int = 9) -> SetupTime:
    """Set the entry up and unload it, again and again; the first setup is cold."""
    async with (
        start_simulator(clock=RealClock(), seed=5) as simulator,
        test_hass() as hass,
    ):
        await async_process_ha_core_config(hass, {"external_url": UNUSED_URL})
        times, calls = [], []
        entry: MockConfigEntry | None = None
        for _ in range(samples):
            before = len(simulator.control.requests())
            start = perf_counter()
            if entry is None:
                entry = await set_up(hass, simulator, ReceiveMode.WEBHOOK)
            else:
                await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
            times.append(perf_counter() - start)
            calls.append(len(simulator.control.requests()) - before)
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    return SetupTime(
        samples=samples,
        first_ms=times[0] * 1000,
        median_ms=statistics.median(times) * 1000,
        calls_per_setup=round(statistics.median(calls)),
    )


# -- memory ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MemoryPoint:
    """The dedupe structures after a number of unique deliveries."""

    deliveries: int
    remembered: int
    dedupe_bytes: int
    traced_bytes: int


def deep_size(root: object) -> int:
    """Return the bytes of an object and of everything it holds, each counted once."""
    seen: set[int] = set()
    total, stack = 0, [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict | OrderedDict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    return total


def _dedupe_structures(inbound: SendblueInbound) -> Iterator[object]:
    """Yield what the inbound path keeps per delivery."""
    # Private on purpose: these are what must stay bounded.
    yield inbound._seen._keys  # noqa: SLF001
    # Typing has a set of its own since the receive rewrite.
    yield inbound._typing_seen._keys  # noqa: SLF001
    yield inbound.sent_lines._lines  # noqa: SLF001


async def run_memory(deliveries: int = 100_000) -> list[MemoryPoint]:
    """Deliver unique messages through the inbound path; measure what it keeps."""
    points = []
    template: dict[str, Any] = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    async with (
        start_simulator(clock=RealClock(), seed=9) as simulator,
        test_hass() as hass,
    ):
        entry = await set_up(hass, simulator, ReceiveMode.WEBHOOK)
        inbound: SendblueInbound = entry.runtime_data.inbound
        line = simulator.lines[0]
        template |= {"to_number": line, "sendblue_number": line}
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        for count in range(1, deliveries + 1):
            payload = {**template, "message_handle": f"mem-{count:06d}"}
            # What the webhook does after parsing JSON: parse, dedupe, fire.
            inbound.async_process(parse_webhook(payload), payload)
            if count % 1000 == 0:
                await hass.async_block_till_done()
            if count in MEMORY_CHECKPOINTS:
                await hass.async_block_till_done()
                gc.collect()
                points.append(
                    MemoryPoint(
                        deliveries=count,
                        remembered=inbound.remembered,
                        dedupe_bytes=sum(map(deep_size, _dedupe_structures(inbound))),
                        traced_bytes=tracemalloc.get_traced_memory()[0] - baseline,
                    )
                )
        tracemalloc.stop()
    return points
