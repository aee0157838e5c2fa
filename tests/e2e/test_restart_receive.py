"""Exactly once across a real restart, in every receive mode (issue 11, item 8).

Texts go to the simulator at 5 a second while Home Assistant is stopped with SIGTERM,
kept down 10 s and started again on the same config directory. Every text must fire
sendblue_message_received exactly once, live or replayed. The events are counted over
the websocket, the texts at the simulator. One Home Assistant and one simulator
serve all modes; each test switches the entry's mode and back to the webhook.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from contextlib import closing

import aiohttp
import pytest

from custom_components.sendblue.const import (
    CONF_POLLING_INTERVAL,
    EVENT_MESSAGE_RECEIVED,
)
from devtools.common import DevToolsError, JsonObject, wait_until
from devtools.rest import DEMO_USER, HomeAssistantClient
from devtools.simulator import SimulatorClient

from .conftest import LINE_1, STARTUP_TIMEOUT, Stack

pytestmark = pytest.mark.e2e

RATE = 5.0  # texts a second
DOWN_S = 10.0  # Home Assistant is stopped at least this long
BEFORE_S = 2.0  # texting this long before the stop, and after the start
POLL_S = 5
SETTLE_S = 30.0  # how long the last events may take to come


class Texter:
    """Send texts at RATE a second from one contact until stopped."""

    def __init__(self, sim: SimulatorClient, contact: str) -> None:
        """Prepare; nothing is sent until start()."""
        self.sim = sim
        self.contact = contact
        self.sent: list[JsonObject] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start texting in the background."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        start = time.monotonic()
        while True:
            n = len(self.sent)
            self.sent.append(
                await self.sim.inbound(
                    from_number=self.contact, to_number=LINE_1, content=f"text {n}"
                )
            )
            # Paced on the clock, so a slow answer does not slow the rate.
            await asyncio.sleep(max(0.0, start + (n + 1) / RATE - time.monotonic()))

    async def stop(self) -> list[str]:
        """Stop texting; return the handles of every text sent."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return [text["message_handle"] for text in self.sent]


async def _restart(stack: Stack, session: aiohttp.ClientSession) -> float:
    """SIGTERM Home Assistant, keep it down DOWN_S, start it; return the down time."""
    assert stack.hass is not None
    stopped = time.monotonic()
    assert stack.stop_hass() == 0
    await asyncio.sleep(max(0.0, stopped + DOWN_S - time.monotonic()))
    stack.hass.start()
    ha = stack.ha_client(session)
    await ha.wait_up(STARTUP_TIMEOUT)
    await ha.sign_in(DEMO_USER)
    stack.token = ha.token
    down = time.monotonic() - stopped
    await ha.wait_running(STARTUP_TIMEOUT)
    assert stack.entry_id is not None
    await ha.wait_entry_state(stack.entry_id, "loaded")
    return down


def _fired(stack: Stack, contact: str) -> Counter[str]:
    """Count the received events of a contact's texts in the recorder's database.

    The database has every event since Home Assistant started, also those fired
    before a websocket could subscribe (the catch-up at startup).
    """
    database = stack.config_dir / "home-assistant_v2.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT d.shared_data FROM events e"
            " JOIN event_types t ON e.event_type_id = t.event_type_id"
            " JOIN event_data d ON e.data_id = d.data_id"
            " WHERE t.event_type = ?",
            (EVENT_MESSAGE_RECEIVED,),
        ).fetchall()
    fired: Counter[str] = Counter()
    for (shared,) in rows:
        data = json.loads(shared)
        if data.get("from_number") == contact:
            fired[data["message_handle"]] += 1
    return fired


async def _all_fired(stack: Stack, contact: str, handles: set[str]) -> Counter[str]:
    """Wait until every handle has an event in the database (it commits each second)."""

    async def probe() -> Counter[str] | None:
        fired = _fired(stack, contact)
        return fired if handles <= set(fired) else None

    try:
        return await wait_until(probe, within=SETTLE_S, what="every text's event")
    except DevToolsError:
        missing = sorted(handles - set(_fired(stack, contact)))
        msg = f"{len(missing)} of {len(handles)} texts fired no event: {missing}"
        raise AssertionError(msg) from None


async def _set_mode(ha: HomeAssistantClient, stack: Stack, mode: str) -> None:
    """Switch the entry's receive mode and wait for it to load again."""
    assert stack.entry_id is not None
    await ha.set_options(
        stack.entry_id, {"receive_mode": mode, CONF_POLLING_INTERVAL: POLL_S}
    )
    await ha.wait_entry_state(stack.entry_id, "loaded")


@pytest.mark.parametrize(
    ("mode", "contact"),
    [
        ("webhook", "+15550004441"),
        ("stream", "+15550004442"),
        ("polling", "+15550004443"),
    ],
)
async def test_restart_fires_every_text_exactly_once(
    stack: Stack,
    session: aiohttp.ClientSession,
    ha: HomeAssistantClient,
    sim: SimulatorClient,
    mode: str,
    contact: str,
) -> None:
    """Texts at 5/s across a 10 s restart: one event each, none twice."""
    await _set_mode(ha, stack, mode)
    texter = Texter(sim, contact)
    texter.start()
    await asyncio.sleep(BEFORE_S)
    down = await _restart(stack, session)
    ha = stack.ha_client(session)
    await asyncio.sleep(BEFORE_S)
    handles = await texter.stop()
    seen = await _all_fired(stack, contact, set(handles))
    # Deliveries that fired before the restart, delivered again: nothing fires.
    if mode == "webhook":
        assert stack.webhook_url is not None
        assert stack.webhook_secret is not None
        for text in texter.sent[:3]:
            async with session.post(
                stack.webhook_url,
                json=text,
                headers={"sb-signing-secret": stack.webhook_secret},
            ) as response:
                assert response.status == 200
    # A last text: once it fired, anything fired twice would have come before it.
    last = await sim.inbound(from_number=contact, to_number=LINE_1, content="end")
    seen = await _all_fired(stack, contact, {*handles, last["message_handle"]})

    assert down >= DOWN_S
    assert len(handles) >= RATE * (DOWN_S + BEFORE_S)
    assert set(handles) <= set(seen)
    duplicates = {handle: n for handle, n in seen.items() if n > 1}
    assert not duplicates
    print(  # noqa: T201 - the restart figures for bench/results.md
        f"restart[{mode}]: {len(handles)} texts, {sum(seen.values()) - 1} events,"
        f" {len(duplicates)} duplicates, down {down:.1f} s"
    )
    await _set_mode(ha, stack, "webhook")
