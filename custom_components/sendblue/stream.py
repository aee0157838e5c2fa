"""Receive by Sendblue's live event stream: instant, with no public URL.

The stream is live, not a replay log: after every reconnect the catch-up lists
what changed meanwhile, and dedupe (by event id and by message and status) makes
what both deliver fire once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .addresses import mask
from .api import (
    AccountEvent,
    EventStream,
    EventType,
    Message,
    MessageStatus,
    SendblueAuthenticationError,
    SendblueClient,
    SendblueError,
    SendblueStreamNotAvailableError,
)
from .catchup import SendblueCatchup
from .const import LOGGER, RECEIVE_CHECK_INTERVAL, ReceiveMode
from .coordinator import SendblueCoordinator
from .data import SendblueConfigEntry
from .errors import start_reauth
from .inbound import SendblueInbound
from .issues import clear_issue, raise_issue

# Seconds without a byte (Sendblue beats every 15 s) before the stream is dead.
READ_TIMEOUT = 20.0
FIRST_RETRY = 1.0
MAX_RETRY = 300.0
# A stream that lived this long (or brought an event) was a working one.
HEALTHY_AFTER = timedelta(minutes=1)
REPAIR_AFTER = timedelta(minutes=15)
ISSUE_FAILING = "stream_failing_{entry_id}"
MESSAGE_EVENTS = frozenset(
    {EventType.MESSAGE_RECEIVED, EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED}
)
# The fields that make data the whole record, so no fetch is needed.
RECEIVED_FIELDS = frozenset({"content"})
STATUS_FIELDS = frozenset({"status", "service", "error_code"})


def retry_delay(failures: int) -> float:
    """Return the wait before reconnect number failures: doubling, jittered, capped."""
    ceiling: float = min(MAX_RETRY, FIRST_RETRY * 2 ** min(failures, 16))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


class SendblueStream:
    """Follow the account's event stream for one entry, reconnecting forever."""

    mode = ReceiveMode.STREAM

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        client: SendblueClient,
        inbound: SendblueInbound,
        catchup: SendblueCatchup,
        coordinator: SendblueCoordinator,
        *,
        on_not_available: Callable[[], None],
    ) -> None:
        """Initialize the stream receiver; on_not_available starts the fallback."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.inbound = inbound
        self.catchup = catchup
        self.coordinator = coordinator
        self._on_not_available = on_not_available
        self._stream: EventStream | None = None
        self._failures = 0
        self._failing_since: datetime | None = None
        self._opened_at: datetime | None = None
        self._events_at_open = 0
        self.connected = False
        self.events = 0
        self.connections = 0
        self.fetched = 0
        self.skipped = 0

    async def async_open(self) -> None:
        """Open the stream; at setup this is the probe of whether the account has one.

        Raises SendblueStreamNotAvailableError (404, 405) and what the client raises.
        """
        stream = self.client.stream_events(read_timeout=READ_TIMEOUT)
        await stream.__aenter__()
        self._stream = stream

    async def async_close(self) -> None:
        """Close a stream opened but not yet followed (setup failed after the probe)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.__aexit__(None, None, None)

    def async_start(self) -> None:
        """Follow the opened stream once Home Assistant has started, until unload.

        Until then Sendblue's events wait in the connection: automations listen
        only once Home Assistant has started.
        """

        @callback
        def start(_hass: HomeAssistant) -> None:
            self.entry.async_create_background_task(
                self.hass,
                self._async_run(),
                f"Sendblue event stream {self.entry.title}",
            )

        self.entry.async_on_unload(async_at_started(self.hass, start))
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_hourly,
                RECEIVE_CHECK_INTERVAL,
                name=f"Sendblue catch-up {self.entry.title}",
                cancel_on_shutdown=True,
            )
        )

    async def _async_run(self) -> None:
        """Read, reconnect and repair gaps until cancelled (or refused for good)."""
        while True:
            stream, self._stream = self._stream, None
            if stream is None:
                try:
                    stream = self.client.stream_events(read_timeout=READ_TIMEOUT)
                    await stream.__aenter__()
                except SendblueAuthenticationError as err:
                    LOGGER.warning(
                        "Sendblue refused the key of %s: the event stream stopped",
                        mask(self.entry.title),
                    )
                    start_reauth(self.hass, self.entry, err)
                    return
                except SendblueStreamNotAvailableError:
                    self._on_not_available()
                    return
                except SendblueError as err:
                    await self._async_failed(str(err))
                    continue
            await self._async_follow(stream)

    async def _async_follow(self, stream: EventStream) -> None:
        """Handle an open stream's events until it ends; back off as it deserves."""
        try:
            self._async_connected()
            async for event in stream:
                await self._async_handle(event)
        except SendblueError as err:
            error: str | None = str(err)
        else:
            error = None
        finally:
            self.connected = False
            await stream.__aexit__(None, None, None)
        if self._healthy():
            self._failures = 0
        if error is not None:
            await self._async_failed(error)
        elif self._failures:
            # Ended as soon as it opened, again: back off as after a failure.
            LOGGER.debug("The Sendblue event stream ended at once")
            await self._async_wait(retry_delay(self._failures))
            self._failures += 1
        else:
            # Sendblue rotated a working stream: reconnect at once, but back off
            # should the next one end at once too.
            self._failures = 1

    @callback
    def _async_connected(self) -> None:
        """Note a new connection and list what happened while there was none."""
        self.connected = True
        self.connections += 1
        self._opened_at = dt_util.utcnow()
        self._events_at_open = self.events
        if self._failing_since is not None:
            self._failing_since = None
            LOGGER.info(
                "The Sendblue event stream of %s works again", mask(self.entry.title)
            )
            clear_issue(self.hass, ISSUE_FAILING.format(entry_id=self.entry.entry_id))
            # Line status changes were missed too.
            self.hass.async_create_task(self.coordinator.async_request_refresh())
        self.entry.async_create_background_task(
            self.hass,
            self.catchup.async_run_logged(),
            f"Sendblue catch-up {self.entry.title}",
        )

    def _healthy(self) -> bool:
        """Return whether the stream that just ended lived or brought events."""
        opened = self._opened_at
        lived = opened is not None and dt_util.utcnow() - opened >= HEALTHY_AFTER
        return lived or self.events > self._events_at_open

    async def _async_failed(self, reason: str) -> None:
        """Log the first failure, raise a repair after a while, and back off."""
        now = dt_util.utcnow()
        if self._failing_since is None:
            self._failing_since = now
            LOGGER.warning(
                "The Sendblue event stream of %s failed, reconnecting: %s",
                mask(self.entry.title),
                reason,
            )
        elif now - self._failing_since >= REPAIR_AFTER:
            raise_issue(
                self.hass,
                ISSUE_FAILING.format(entry_id=self.entry.entry_id),
                "stream_failing",
                {"title": self.entry.title, "error": reason},
            )
        await self._async_wait(retry_delay(self._failures))
        self._failures += 1

    async def _async_wait(self, seconds: float) -> None:
        """Wait on Home Assistant's clock (so tests move it with the time)."""
        done: asyncio.Future[None] = self.hass.loop.create_future()

        @callback
        def wake(_now: datetime) -> None:
            if not done.done():
                done.set_result(None)

        cancel = async_call_later(self.hass, seconds, wake)
        try:
            await done
        finally:
            cancel()

    async def _async_hourly(self, _now: datetime) -> None:
        """List what changed unless a reconnect did so within the hour."""
        last = self.catchup.last_run
        if last is None or dt_util.utcnow() - last >= RECEIVE_CHECK_INTERVAL / 2:
            await self.catchup.async_run_logged()

    async def _async_handle(self, event: AccountEvent) -> None:
        """Fire what one event tells, once; skip what is not for us."""
        if not self.inbound.first_event(event.id):
            return
        self.events += 1
        if event.type in MESSAGE_EVENTS:
            if found := await self._async_message(event):
                self.inbound.async_process(*found)
        elif event.type is EventType.TYPING_CHANGED:
            if (typing := event.typing_indicator) is not None:
                self.inbound.async_process(typing, event.data)
            else:
                self._skip(event, "it names no typing state")
        elif event.type is EventType.LINE_STATUS_CHANGED:
            if (state := event.line_state) is None:
                self._skip(event, "it names no line")
            elif not self.coordinator.async_set_line_state(state):
                await self.coordinator.async_request_refresh()
        elif event.type in (EventType.LINE_ASSIGNED, EventType.LINE_UNASSIGNED):
            await self.coordinator.async_request_refresh()
        else:
            self._skip(event, "not a type we follow")

    def _skip(self, event: AccountEvent, why: str) -> None:
        """Count an event we do not act on, with one debug line."""
        self.skipped += 1
        LOGGER.debug("Skipped stream event %s (%s): %s", event.id, event.type_name, why)

    async def _async_message(
        self, event: AccountEvent
    ) -> tuple[Message, Mapping[str, Any]] | None:
        """Return the event's message: from its data when whole, else fetched."""
        wanted = (
            RECEIVED_FIELDS
            if event.type is EventType.MESSAGE_RECEIVED
            else STATUS_FIELDS
        )
        partial = event.message
        if partial is not None and wanted <= event.data.keys():
            return partial, event.data
        if (message_id := event.message_id) is None:
            self._skip(event, "it names no message")
            return None
        try:
            message = await self.client.get_message(message_id=message_id)
        except SendblueError as err:
            # The catch-up after the next reconnect (or within the hour) finds it.
            self._skip(event, f"the message could not be read: {err}")
            return None
        self.fetched += 1
        if partial is not None and partial.status is not MessageStatus.UNKNOWN:
            # The event is about this status; the message may have moved on.
            message = replace(message, status=partial.status)
        return message, message.to_dict()

    def diagnostics(self) -> dict[str, Any]:
        """Return whether the stream is open and what it brought."""
        return {
            "connected": self.connected,
            "connections": self.connections,
            "events": self.events,
            "fetched_messages": self.fetched,
            "skipped_events": self.skipped,
            "failing_since": (
                self._failing_since.isoformat() if self._failing_since else None
            ),
            "catchup": self.catchup.diagnostics(),
        }
