"""What an entry keeps between restarts that is not configuration.

The URL registered with Sendblue and whether it is a cloudhook change while the
entry runs; kept in the entry's data they would reload it on every change. The
receive state (how far the listings got, and which deliveries already fired)
changes with every text, so it is saved a few seconds late, in batches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DEDUPE_SIZE, DOMAIN
from .data import BoundedSet

STORAGE_VERSION = 1
# Seconds between a change and its save; Home Assistant's final write at stop
# saves what is still pending.
SAVE_DELAY = 5


class _Saved(TypedDict, total=False):
    """The stored document."""

    webhook_url: str | None
    cloudhook: bool
    # ISO time of the latest update a listing fully processed.
    cursor: str | None
    # Dedupe keys of what fired (messages and stream events), oldest first.
    seen: list[str]


class SendblueStore:
    """The saved state of one entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the store of an entry (nothing is read yet)."""
        self._store: Store[_Saved] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._data: _Saved = {}
        self._pending = False
        self._cursor: datetime | None = None
        self.seen: BoundedSet[str] = BoundedSet(DEDUPE_SIZE, self.async_schedule_save)

    async def async_load(self) -> None:
        """Read what was saved, if anything."""
        self._data = await self._store.async_load() or {}
        cursor = self._data.get("cursor")
        self._cursor = dt_util.parse_datetime(cursor) if cursor else None
        self.seen.load(key for key in self._data.get("seen", ()) if key)

    @property
    def webhook_url(self) -> str | None:
        """Return the URL we registered with Sendblue."""
        return self._data.get("webhook_url")

    @property
    def cloudhook(self) -> bool:
        """Return whether the registered URL is a Home Assistant Cloud webhook."""
        return self._data.get("cloudhook", False)

    @property
    def cursor(self) -> datetime | None:
        """Return the latest update time a listing fully processed."""
        return self._cursor

    def advance_cursor(self, when: datetime) -> None:
        """Move the cursor forward (never back) and save it soon."""
        if self._cursor is None or when > self._cursor:
            self._cursor = when
            self.async_schedule_save()

    async def async_set_webhook(self, url: str | None, *, cloudhook: bool) -> None:
        """Save which URL Sendblue calls (None: none of ours)."""
        if (url, cloudhook) != (self.webhook_url, self.cloudhook):
            self._data["webhook_url"] = url
            self._data["cloudhook"] = cloudhook
            await self.async_save()

    @callback
    def async_schedule_save(self) -> None:
        """Save within SAVE_DELAY seconds; one timer for any number of changes."""
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._document, SAVE_DELAY)

    async def async_save(self) -> None:
        """Save now (the entry unloads, or the webhook changed)."""
        await self._store.async_save(self._document())

    def _document(self) -> _Saved:
        """Return the document to write, with the receive state as it is now."""
        self._pending = False
        self._data["cursor"] = self._cursor.isoformat() if self._cursor else None
        self._data["seen"] = list(self.seen)
        return self._data

    async def async_remove(self) -> None:
        """Delete the saved state with its entry."""
        await self._store.async_remove()

    def diagnostics(self) -> dict[str, Any]:
        """Return what diagnostics show: whether a URL is registered, not which."""
        return {
            "registered_with_sendblue": self.webhook_url is not None,
            "cloudhook": self.cloudhook,
        }

    def receive_diagnostics(self) -> dict[str, Any]:
        """Return how far the listings got and how many keys are saved."""
        return {
            "cursor": self._cursor.isoformat() if self._cursor else None,
            "saved_keys": len(self.seen),
        }
