"""Gap repair: list what changed at Sendblue since the saved cursor, and fire it.

Every receiver uses it: the stream after each reconnect, the webhook after any time
without one, both at startup and hourly, and polling on every interval (polling is
this listing). Dedupe makes a message listed twice, or also delivered live, fire
once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .addresses import mask
from .api import Message, SendblueAuthenticationError, SendblueClient, SendblueError
from .const import LOGGER
from .data import SendblueConfigEntry
from .errors import start_reauth
from .inbound import SendblueInbound
from .store import SendblueStore

# Sendblue allows 100 list requests per 10 s: one run stays far below, and a run
# that stops at the bound resumes from the cursor next time.
MAX_PAGES_PER_RUN = 10
PAGE_SIZE = 100


class SendblueCatchup:
    """List messages updated since the cursor, oldest first, and fire the missed."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        client: SendblueClient,
        inbound: SendblueInbound,
        store: SendblueStore,
        *,
        replay_window: timedelta,
    ) -> None:
        """Initialize the catch-up of an entry."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.inbound = inbound
        self.store = store
        self.replay_window = replay_window
        self._lock = asyncio.Lock()
        self._working = True
        self.last_run: datetime | None = None
        self.runs = 0
        self.replayed = 0
        self.skipped = 0

    def start_cursor(self) -> None:
        """Start from now when nothing was ever listed (a new entry)."""
        if self.store.cursor is None:
            self.store.advance_cursor(dt_util.utcnow())

    @callback
    def async_run_when_started(self) -> None:
        """Catch up in the background once Home Assistant has started.

        Automations listen only from then on: a replayed text fired earlier
        would fire for no one.
        """

        @callback
        def start(_hass: HomeAssistant) -> None:
            self.entry.async_create_background_task(
                self.hass,
                self.async_run_logged(),
                f"Sendblue catch-up {self.entry.title}",
            )

        self.entry.async_on_unload(async_at_started(self.hass, start))

    @property
    def running(self) -> bool:
        """Return whether a run is under way."""
        return self._lock.locked()

    async def async_run(self, *, replay: bool = True) -> bool:
        """List and fire what changed since the cursor; return whether it all was.

        With replay, what is found was missed: it fires with replayed true inside
        the replay window, and older texts only update the activity sensors.
        Without (a poll that kept up), everything found is live. Raises what the
        client raises.
        """
        async with self._lock:
            self.start_cursor()
            started = dt_util.utcnow()
            try:
                complete, skipped = await self._async_list(replay=replay)
            finally:
                self.runs += 1
                self.last_run = started
        if skipped:
            self.skipped += skipped
            LOGGER.info(
                "Found %d missed texts for %s older than the replay window"
                " (%s): they fired no event",
                skipped,
                mask(self.entry.title),
                self.replay_window,
            )
        return complete

    async def _async_list(self, *, replay: bool) -> tuple[bool, int]:
        """Read pages from the cursor on; return (got to the end, texts skipped).

        Pages follow the update time, not an offset: a message updated while we
        list moves to the end, and with offsets the one after it would be missed.
        """
        since = self.store.cursor or dt_util.utcnow()
        offset = 0
        skipped = 0
        for _ in range(MAX_PAGES_PER_RUN):
            page = await self.client.list_messages(
                limit=PAGE_SIZE,
                offset=offset or None,
                updated_at_gte=since,
                order_by="updatedAt",
                order_direction="asc",
            )
            now = dt_util.utcnow()
            for message in page.messages:
                skipped += self._process(message, now, replay=replay)
            last = next(
                (m.date_updated for m in reversed(page.messages) if m.date_updated),
                None,
            )
            if last is not None and last > since:
                since = last
                offset = sum(1 for m in page.messages if m.date_updated == last)
            else:
                # A page of one update time: go on from the same time, further in.
                offset += len(page.messages)
            self.store.advance_cursor(since)
            if not page.has_more or not page.messages:
                return True, skipped
        return False, skipped

    def _process(self, message: Message, now: datetime, *, replay: bool) -> int:
        """Fire one listed message; return 1 for a new text too old to fire."""
        when = message.date_updated or message.date_sent
        fire = not replay or when is None or now - when <= self.replay_window
        new = self.inbound.async_process(
            message, message.to_dict(), replayed=replay, fire=fire
        )
        if not new:
            return 0
        if fire:
            self.replayed += replay
            return 0
        return int(not message.is_outbound)

    async def async_run_logged(self, *, replay: bool = True) -> bool:
        """Run, logging a failure once (and its recovery); 401 starts reauth."""
        try:
            complete = await self.async_run(replay=replay)
        except SendblueAuthenticationError as err:
            self._set_working(working=False, reason="authentication failed")
            start_reauth(self.hass, self.entry, err)
            return False
        except SendblueError as err:
            self._set_working(working=False, reason=str(err))
            return False
        self._set_working(working=True, reason="")
        return complete

    def _set_working(self, *, working: bool, reason: str) -> None:
        """Log once when catching up starts failing and once when it works again."""
        if working == self._working:
            return
        self._working = working
        if working:
            LOGGER.info(
                "Catching up with Sendblue for %s works again", mask(self.entry.title)
            )
        else:
            LOGGER.warning(
                "Catching up with Sendblue for %s failed, trying again later: %s",
                mask(self.entry.title),
                reason,
            )

    def diagnostics(self) -> dict[str, Any]:
        """Return how far the listings got and what they found."""
        return {
            **self.store.receive_diagnostics(),
            "replay_window_minutes": self.replay_window.total_seconds() / 60,
            "runs": self.runs,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "replayed": self.replayed,
            "skipped_too_old": self.skipped,
        }
