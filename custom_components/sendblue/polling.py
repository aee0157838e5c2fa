"""Receive without a public URL: list new messages and status changes by polling."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started

from .addresses import mask
from .api import SendblueAuthenticationError, SendblueError
from .catchup import SendblueCatchup
from .const import LOGGER, ReceiveMode
from .data import SendblueConfigEntry
from .errors import start_reauth


class SendbluePoller:
    """List what changed since the cursor on an interval (the catch-up, repeated)."""

    mode = ReceiveMode.POLLING

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        catchup: SendblueCatchup,
        interval: timedelta,
    ) -> None:
        """Initialize the poller."""
        self.hass = hass
        self.entry = entry
        self.catchup = catchup
        self.interval = interval
        self._lock = asyncio.Lock()
        self._available = True
        # What the first poll finds (and the first after a failure) was missed.
        self._caught_up = False
        self._unsub: CALLBACK_TYPE | None = None

    def async_start(self) -> None:
        """Poll now (from the saved cursor) and then until the entry unloads."""
        self._unsub = async_track_time_interval(
            self.hass,
            self._async_tick,
            self.interval,
            name=f"Sendblue polling {self.entry.title}",
            cancel_on_shutdown=True,
        )
        self.entry.async_on_unload(self._async_stop)

        @callback
        def first_poll(_hass: HomeAssistant) -> None:
            # Once automations listen: what it finds was missed, and fires now.
            self.entry.async_create_background_task(
                self.hass,
                self._async_tick(None),
                f"Sendblue first poll {self.entry.title}",
            )

        self.entry.async_on_unload(async_at_started(self.hass, first_poll))

    @callback
    def _async_stop(self) -> None:
        """Stop polling."""
        if self._unsub:
            self._unsub()
            self._unsub = None

    async def _async_tick(self, _now: datetime | None) -> None:
        """Poll once, unless the previous poll is still running."""
        if not self._lock.locked():
            async with self._lock:
                await self.async_poll()

    async def async_poll(self) -> None:
        """Read every message updated since the last poll."""
        try:
            complete = await self.catchup.async_run(replay=not self._caught_up)
        except SendblueAuthenticationError as err:
            self._caught_up = False
            self._set_available(available=False, reason="authentication failed")
            # No point asking again with a refused key; reauth reloads the entry.
            self._async_stop()
            start_reauth(self.hass, self.entry, err)
        except SendblueError as err:
            self._caught_up = False
            self._set_available(available=False, reason=str(err))
        else:
            # A run that stopped at its page bound has more missed items to list.
            self._caught_up = complete
            self._set_available(available=True, reason="")

    def _set_available(self, *, available: bool, reason: str) -> None:
        """Log once when polling starts failing and once when it recovers."""
        if available == self._available:
            return
        self._available = available
        if available:
            LOGGER.info("Polling Sendblue for %s works again", mask(self.entry.title))
        else:
            LOGGER.warning(
                "Polling Sendblue for %s failed: %s", mask(self.entry.title), reason
            )

    def diagnostics(self) -> dict[str, Any]:
        """Return whether polling works, how often it runs and how far it got."""
        return {
            "working": self._available,
            "running": self._unsub is not None,
            "interval_seconds": self.interval.total_seconds(),
            "catchup": self.catchup.diagnostics(),
        }
