"""Receive without a public URL: read new messages and status changes by polling."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .addresses import mask
from .api import SendblueAuthenticationError, SendblueClient, SendblueError
from .const import LOGGER, ReceiveMode
from .data import SendblueConfigEntry
from .errors import start_reauth
from .inbound import SendblueInbound

# Sendblue allows 100 list requests per 10 s; a tick never needs more than this.
MAX_PAGES_PER_POLL = 5
PAGE_SIZE = 100


class SendbluePoller:
    """Poll /api/v2/messages for what changed and hand it to the inbound path."""

    mode = ReceiveMode.POLLING

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        client: SendblueClient,
        inbound: SendblueInbound,
        interval: timedelta,
    ) -> None:
        """Initialize the poller."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.inbound = inbound
        self.interval = interval
        self._since: datetime = dt_util.utcnow()
        self._lock = asyncio.Lock()
        self._available = True
        self._unsub: CALLBACK_TYPE | None = None

    def async_start(self) -> None:
        """Start polling until the entry unloads."""
        self._unsub = async_track_time_interval(
            self.hass,
            self._async_tick,
            self.interval,
            name=f"Sendblue polling {self.entry.title}",
            cancel_on_shutdown=True,
        )
        self.entry.async_on_unload(self._async_stop)

    @callback
    def _async_stop(self) -> None:
        """Stop polling."""
        if self._unsub:
            self._unsub()
            self._unsub = None

    async def _async_tick(self, _now: datetime) -> None:
        """Poll once, unless the previous poll is still running."""
        if not self._lock.locked():
            async with self._lock:
                await self.async_poll()

    async def async_poll(self) -> None:
        """Read every message updated since the last poll."""
        pages = 0
        try:
            async with aclosing(
                self.client.iter_message_pages(
                    page_size=PAGE_SIZE,
                    updated_at_gte=self._since,
                    order_by="updatedAt",
                    order_direction="asc",
                )
            ) as page_iter:
                async for page in page_iter:
                    for message in page.messages:
                        self.inbound.async_process(message, message.to_dict())
                        if message.date_updated and message.date_updated > self._since:
                            self._since = message.date_updated
                    pages += 1
                    if pages >= MAX_PAGES_PER_POLL:
                        break
        except SendblueAuthenticationError as err:
            self._set_available(available=False, reason="authentication failed")
            # No point asking again with a refused key; reauth reloads the entry.
            self._async_stop()
            start_reauth(self.hass, self.entry, err)
        except SendblueError as err:
            self._set_available(available=False, reason=str(err))
        else:
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
            "since": self._since.isoformat(),
        }
