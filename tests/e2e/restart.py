"""One real restart of Home Assistant for every restart check of the e2e tests.

Home Assistant has three Sendblue entries, one per receive mode, each on a simulator
of its own: the module's entry receives by webhook, two more by the stream and by
polling. Before the stop the module's entry queues two messages while Sendblue
fails (it takes one of them all the same), and its first line gets a text in and
one out. Texts then go to every entry at 5 a second while Home Assistant is stopped
with SIGTERM, kept down 10 s and started again on the same config directory.

The restart runs once, in the first test that asks for it; it records what every
check needs and raises only when it cannot go on, so that each test asserts one
property and a failure says which mode or feature broke. Events are counted in the
recorder's database (committed at once in these tests), which also has those fired
at startup, before any websocket could subscribe.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from custom_components.sendblue.const import (
    CONF_POLLING_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from devtools.common import JsonObject, wait_until
from devtools.rest import HomeAssistantClient
from devtools.simulator import SimulatorClient

from .conftest import (
    ACTIVITY,
    LINE_1,
    LINE_2,
    STARTUP_TIMEOUT,
    AccountSpec,
    Stack,
    automation_entity,
    handle_is,
    line_activity,
    save_automation,
    status_events,
)

RATE = 5.0  # texts a second
DOWN_S = 10.0  # Home Assistant is stopped at least this long
BEFORE_S = 2.0  # texting this long before the stop, and after the start
POLL_S = 5
SETTLE_S = 30.0  # how long the last events may take to come
# The outbox tries again 30 s after Sendblue's 503s, and may back off once more.
OUTBOX_S = 90.0
PROBE_S = 0.2  # between looks at the database and at the outbox
REPLAYED = 3  # webhook deliveries sent again after the restart
SEND_PATH = "/api/send-message"
# Recipients of the queued messages: Sendblue takes the first, refuses the second.
TAKEN = "+15550004440"
REFUSED = "+15550004446"
# A text in and one out before the stop, none across it: the same activity after.
ACTIVITY_CONTACT = "+15550007778"
ACTIVITY_LINE = LINE_1
# The one line of each simulator the restart adds.
STREAM_LINE = "+15125550201"
POLLING_LINE = "+15125550301"
# Saved like the UI does before the stop; it should load again at the start.
AUTOMATION_ID = "e2e_sendblue_restart"
AUTOMATION: JsonObject = {
    "alias": "Kept across the restart",
    "description": "",
    "triggers": [{"trigger": "event", "event_type": "e2e_never_fired"}],
    "conditions": [],
    "actions": [{"event": "e2e_restart_automation_ran"}],
    "mode": "single",
}


@dataclass(frozen=True)
class Receiver:
    """An entry in one receive mode, and the contact that texts one of its lines."""

    mode: str
    contact: str
    line: str


RECEIVERS = (
    Receiver("webhook", "+15550004441", LINE_2),
    Receiver("stream", "+15550004442", STREAM_LINE),
    Receiver("polling", "+15550004443", POLLING_LINE),
)
MODES = [receiver.mode for receiver in RECEIVERS]
# The module's entry receives by webhook; the others are added for the restart.
ACCOUNTS = {
    "stream": AccountSpec(
        line=STREAM_LINE,
        email="stream@example.com",
        options={"receive_mode": "stream"},
    ),
    "polling": AccountSpec(
        line=POLLING_LINE,
        email="polling@example.com",
        options={"receive_mode": "polling", CONF_POLLING_INTERVAL: POLL_S},
    ),
}


class Texter:
    """Send texts at RATE a second from one contact to one line until stopped."""

    def __init__(self, sim: SimulatorClient, receiver: Receiver) -> None:
        """Prepare; nothing is sent until start()."""
        self.sim = sim
        self.receiver = receiver
        self.sent: list[JsonObject] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start texting in the background."""
        self._task = asyncio.create_task(self._run())

    async def text(self, content: str) -> JsonObject:
        """Send one text; return the simulator's stored message."""
        return await self.sim.inbound(
            from_number=self.receiver.contact,
            to_number=self.receiver.line,
            content=content,
        )

    async def _run(self) -> None:
        start = time.monotonic()
        while True:
            n = len(self.sent)
            self.sent.append(await self.text(f"text {n}"))
            # Paced on the clock, so a slow answer does not slow the rate.
            await asyncio.sleep(max(0.0, start + (n + 1) / RATE - time.monotonic()))

    async def stop(self) -> list[str]:
        """Stop texting; return the handles of every text sent."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return [text["message_handle"] for text in self.sent]


class Events:
    """The received events in Home Assistant's recorder database."""

    def __init__(self, config_dir: Path) -> None:
        """Read the database of a config directory."""
        self.database = config_dir / "home-assistant_v2.db"

    def fired(self, contact: str, *, before: float | None = None) -> Counter[str]:
        """Count the events of a contact's texts, by handle (fired before a time)."""
        query = (
            "SELECT json_extract(d.shared_data, '$.message_handle') FROM events e"
            " JOIN event_types t ON e.event_type_id = t.event_type_id"
            " JOIN event_data d ON e.data_id = d.data_id"
            " WHERE t.event_type = ?"
            " AND json_extract(d.shared_data, '$.from_number') = ?"
        )
        arguments: tuple[str | float, ...] = (EVENT_MESSAGE_RECEIVED, contact)
        if before is not None:
            query += " AND e.time_fired_ts < ?"
            arguments += (before,)
        uri = f"file:{self.database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            return Counter(handle for (handle,) in db.execute(query, arguments))

    async def wait_fired(self, contact: str, handles: set[str]) -> Counter[str]:
        """Wait until every handle has an event; return the counts, complete or not."""

        async def probe() -> Counter[str] | None:
            fired = self.fired(contact)
            return fired if handles <= set(fired) else None

        try:
            return await wait_until(
                probe, within=SETTLE_S, interval=PROBE_S, what="every text's event"
            )
        except TimeoutError:
            return self.fired(contact)


@dataclass
class Texts:
    """One mode's texts across the restart, and their events."""

    sent: list[str]
    # A text after all the others: once it fired, nothing else is on its way.
    last: str
    fired: Counter[str]


@dataclass
class Replay:
    """Webhook deliveries that fired before the stop, delivered again after it."""

    handles: list[str]
    fired_before_stop: Counter[str]
    statuses: list[int] = field(default_factory=list)


@dataclass
class Outbox:
    """Two sends queued while Sendblue failed, one of them taken by Sendblue."""

    statuses: list[str]
    sensor: str
    queued_at_stop: str | None = None
    emptied: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)
    taken_posts: int = 0


@dataclass
class Registrations:
    """How often each webhook type has the entry's URL, at three moments."""

    url: str
    before: dict[str, int]
    while_down: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    url_after: str | None = None


@dataclass
class Restart:
    """What the restart showed; each test asserts a part of it."""

    exit_code: int | None
    down: float
    texts: dict[str, Texts]
    replay: Replay
    outbox: Outbox
    activity_before: dict[str, str]
    activity_after: dict[str, str]
    automation_saved: str
    automation_after: str | None
    webhooks: Registrations


class RestartOnce:
    """Restart the module's Home Assistant once; later callers get the record."""

    def __init__(self, stack: Stack) -> None:
        """Restart this stack when first asked."""
        self.stack = stack
        self._record: Restart | None = None
        self._error: BaseException | None = None

    async def observe(self, session: aiohttp.ClientSession) -> Restart:
        """Return the record, restarting first if no test has yet."""
        if self._error is not None:
            msg = f"the restart failed in an earlier test: {self._error!r}"
            raise AssertionError(msg) from self._error
        if self._record is None:
            try:
                self._record = await _restart(self.stack, session)
            except BaseException as err:
                self._error = err
                raise
        return self._record


async def registered(sim: SimulatorClient, url: str) -> dict[str, int]:
    """Return how many registrations each webhook type has for a URL."""
    return {kind: len(found) for kind, found in (await sim.webhooks_for(url)).items()}


async def _restart(stack: Stack, session: aiohttp.ClientSession) -> Restart:
    """Set everything up, restart once, and record what each check needs."""
    ha = stack.ha_client(session)
    sim = stack.sim_client(session)
    assert stack.entry_id is not None
    assert stack.webhook_url is not None
    # First, as its 30 s wait after the 503s is the longest: the rest overlaps it.
    outbox = await _queue(ha, sim, stack.entry_id)
    accounts = await stack.ensure_accounts(session, ACCOUNTS)
    activity_before = await _settled_activity(ha, sim, stack.entry_id)
    automation_saved = await save_automation(ha, AUTOMATION_ID, AUTOMATION)
    webhooks = Registrations(
        url=stack.webhook_url, before=await registered(sim, stack.webhook_url)
    )
    sims = {"webhook": sim} | {
        name: account.sim_client(session) for name, account in accounts.items()
    }
    texters = {r.mode: Texter(sims[r.mode], r) for r in RECEIVERS}
    for texter in texters.values():
        texter.start()
    try:
        await asyncio.sleep(BEFORE_S)
        outbox.queued_at_stop = await _state(ha, outbox.sensor)
        stopped_at = time.time()
        stopped = time.monotonic()
        # In a thread, so that the texts keep their pace while it stops.
        exit_code = await asyncio.to_thread(stack.stop_hass)
        webhooks.while_down = await registered(sim, stack.webhook_url)
        await asyncio.sleep(max(0.0, stopped + DOWN_S - time.monotonic()))
        down = await stack.start_hass(session) - stopped
        ha = stack.ha_client(session)
        for entry_id in (stack.entry_id, *(a.entry_id for a in accounts.values())):
            assert entry_id is not None
            await ha.wait_entry_state(entry_id, "loaded", STARTUP_TIMEOUT)
        activity_after = await line_activity(ha, ACTIVITY_LINE)
        automation_after = await automation_entity(ha, AUTOMATION_ID)
        webhooks.after = await registered(sim, stack.webhook_url)
        await stack.find_webhook(session)
        webhooks.url_after = stack.webhook_url
        await asyncio.sleep(BEFORE_S)
    finally:
        sent = {mode: await texter.stop() for mode, texter in texters.items()}

    events = Events(stack.config_dir)
    replay = Replay(
        handles=sent["webhook"][:REPLAYED],
        fired_before_stop=events.fired(
            texters["webhook"].receiver.contact, before=stopped_at
        ),
    )
    texts, _ = await asyncio.gather(
        asyncio.gather(
            *(
                _settle(stack, session, events, texter, sent[mode], replay)
                for mode, texter in texters.items()
            )
        ),
        _delivered(ha, sim, outbox),
    )
    return Restart(
        exit_code=exit_code,
        down=down,
        texts=dict(zip(MODES, texts, strict=True)),
        replay=replay,
        outbox=outbox,
        activity_before=activity_before,
        activity_after=activity_after,
        automation_saved=automation_saved,
        automation_after=automation_after,
        webhooks=webhooks,
    )


async def _queue(
    ha: HomeAssistantClient, sim: SimulatorClient, entry_id: str
) -> Outbox:
    """Send two messages while Sendblue fails: both are queued."""
    # The first send is taken, then answered 503; every other call fails before.
    await sim.add_fault(kind="unavailable", count=1, after=True, path_prefix=SEND_PATH)
    await sim.add_fault(kind="unavailable", probability=1.0, path_prefix="/api/")
    try:
        statuses = [
            result["status"]
            for number, text in ((TAKEN, "Taken, then 503"), (REFUSED, "Refused"))
            for result in (
                await ha.call_service(
                    DOMAIN,
                    "send_message",
                    {
                        "config_entry_id": entry_id,
                        "to": [number],
                        "message": text,
                        "from_number": LINE_2,
                    },
                    return_response=True,
                )
            )["messages"]
        ]
    finally:
        await sim.clear_faults()
    async with ha.websocket() as ws:
        entities = await ws.command("config/entity_registry/list")
    sensor = next(
        entity["entity_id"]
        for entity in entities
        if entity["config_entry_id"] == entry_id
        and entity["entity_id"].endswith("_queued_messages")
    )
    return Outbox(statuses=statuses, sensor=sensor)


async def _state(ha: HomeAssistantClient, entity_id: str) -> str:
    """Return the state of one entity."""
    state: JsonObject = await ha.request("GET", f"/api/states/{entity_id}")
    return str(state["state"])


async def _delivered(
    ha: HomeAssistantClient, sim: SimulatorClient, outbox: Outbox
) -> None:
    """Wait for the outbox to empty after the restart; record what Sendblue got."""

    async def emptied() -> bool | None:
        return True if await _state(ha, outbox.sensor) == "0" else None

    try:
        outbox.emptied = await wait_until(
            emptied, within=OUTBOX_S, interval=PROBE_S, what="the outbox emptied"
        )
    except TimeoutError:
        outbox.emptied = False
    outbox.sent = sorted(
        (message["number"], message["content"])
        for message in await sim.state("messages")
        if message["is_outbound"] and message["number"] in {TAKEN, REFUSED}
    )
    outbox.taken_posts = sum(
        request["path"] == SEND_PATH and request["json"]["number"] == TAKEN
        for request in await sim.state("requests")
    )


async def _settled_activity(
    ha: HomeAssistantClient, sim: SimulatorClient, entry_id: str
) -> dict[str, str]:
    """Give the first line a text in and one out; return its activity sensors."""
    # Closed before the stop: Home Assistant waits up to 10 s for open connections.
    async with ha.websocket() as ws:
        received = await ws.subscribe_events(EVENT_MESSAGE_RECEIVED)
        statuses = await ws.subscribe_events(EVENT_MESSAGE_STATUS)
        message = await sim.inbound(
            from_number=ACTIVITY_CONTACT,
            to_number=ACTIVITY_LINE,
            content="Before the restart",
        )
        response = await ha.call_service(
            DOMAIN,
            "send_message",
            {
                "config_entry_id": entry_id,
                "to": [ACTIVITY_CONTACT],
                "message": "Restarting",
                "from_number": ACTIVITY_LINE,
            },
            return_response=True,
        )
        # Nothing is on its way to the line any more: what is read now is saved.
        text = await received.next(handle_is(message["message_handle"]))
        sent = await status_events(statuses, response["messages"][0]["message_handle"])
    # The activity sensors write at most once a second: read them once they show
    # this text and this send, which is what the restart must bring back.
    shown = {
        "_last_received": _shown(text["data"]["date_sent"]),
        "_last_sent": max(
            _shown(event["data"]["payload"]["date_sent"]) for event in sent
        ),
    }

    async def caught_up() -> dict[str, str] | None:
        states = await line_activity(ha, ACTIVITY_LINE)
        showing = {
            suffix: state
            for suffix in ACTIVITY
            for entity_id, state in states.items()
            if entity_id.endswith(suffix)
        }
        return states if showing == shown else None

    return await wait_until(caught_up, within=10, what="the activity sensors")


def _shown(when: str) -> str:
    """Return how a timestamp sensor shows a time from Sendblue (whole seconds, UTC)."""
    return datetime.fromisoformat(when).astimezone(UTC).isoformat(timespec="seconds")


async def _settle(
    stack: Stack,
    session: aiohttp.ClientSession,
    events: Events,
    texter: Texter,
    sent: list[str],
    replay: Replay,
) -> Texts:
    """Wait for a mode's events; in webhook mode deliver some again; text once more."""
    contact = texter.receiver.contact
    fired = await events.wait_fired(contact, set(sent))
    if texter.receiver.mode == "webhook":
        assert stack.webhook_url is not None
        assert stack.webhook_secret is not None
        for text in texter.sent[:REPLAYED]:
            async with session.post(
                stack.webhook_url,
                json=text,
                headers={"sb-signing-secret": stack.webhook_secret},
            ) as response:
                replay.statuses.append(response.status)
    last = (await texter.text("end"))["message_handle"]
    # What had fired and the last text; a missing text would only cost time again.
    fired = await events.wait_fired(contact, {*fired, last})
    return Texts(sent=sent, last=last, fired=fired)
