"""What an entry keeps between restarts that is not configuration.

The URL registered with Sendblue and whether it is a cloudhook change while the
entry runs; kept in the entry's data they would reload it on every change.
"""

from __future__ import annotations

from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION = 1


class _Saved(TypedDict, total=False):
    """The stored document."""

    webhook_url: str | None
    cloudhook: bool


class SendblueStore:
    """The saved state of one entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the store of an entry (nothing is read yet)."""
        self._store: Store[_Saved] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._data: _Saved = {}

    async def async_load(self) -> None:
        """Read what was saved, if anything."""
        self._data = await self._store.async_load() or {}

    @property
    def webhook_url(self) -> str | None:
        """Return the URL we registered with Sendblue."""
        return self._data.get("webhook_url")

    @property
    def cloudhook(self) -> bool:
        """Return whether the registered URL is a Home Assistant Cloud webhook."""
        return self._data.get("cloudhook", False)

    async def async_set_webhook(self, url: str | None, *, cloudhook: bool) -> None:
        """Save which URL Sendblue calls (None: none of ours)."""
        if (url, cloudhook) != (self.webhook_url, self.cloudhook):
            self._data["webhook_url"] = url
            self._data["cloudhook"] = cloudhook
            await self._store.async_save(self._data)

    async def async_remove(self) -> None:
        """Delete the saved state with its entry."""
        await self._store.async_remove()

    def diagnostics(self) -> dict[str, Any]:
        """Return what diagnostics show: whether a URL is registered, not which."""
        return {
            "registered_with_sendblue": self.webhook_url is not None,
            "cloudhook": self.cloudhook,
        }
