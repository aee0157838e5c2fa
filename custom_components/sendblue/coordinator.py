"""Coordinator polling the account's lines, their health and capacity."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    LineState,
    LineStatus,
    LineUsage,
    SendblueClient,
    SendblueNotFoundError,
)
from .const import DOMAIN, LINE_OFFLINE_REPAIR_AFTER, LINES_SCAN_INTERVAL, LOGGER
from .helpers import entry_errors, format_number, line_identifier, raise_issue

if TYPE_CHECKING:
    from .inbound import SendblueInbound
    from .notify import SendblueNotificationService

type SendblueConfigEntry = ConfigEntry[SendblueRuntimeData]


@dataclass(kw_only=True)
class SendblueRuntimeData:
    """What a loaded entry holds."""

    client: SendblueClient
    coordinator: SendblueCoordinator
    inbound: SendblueInbound
    legacy_notify: SendblueNotificationService | None = None


@dataclass(frozen=True, kw_only=True)
class SendblueLine:
    """One of the account's lines, with what Sendblue says about it."""

    number: str
    state: LineState | None
    usage: LineUsage | None

    @property
    def status(self) -> LineStatus:
        """Return the line's health, unknown when Sendblue does not report it."""
        return self.state.status if self.state else LineStatus.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class SendblueData:
    """Everything the coordinator polls."""

    lines: dict[str, SendblueLine]
    contacts: int | None


@dataclass(kw_only=True)
class LineActivity:
    """When a line last received and sent a message, as seen by us."""

    last_received: datetime | None = None
    last_sent: datetime | None = None


class SendblueCoordinator(DataUpdateCoordinator[SendblueData]):
    """Poll lines, line state, line usage and the contact count."""

    config_entry: SendblueConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: SendblueConfigEntry, client: SendblueClient
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=LINES_SCAN_INTERVAL,
        )
        self.client = client
        self.activity: dict[str, LineActivity] = {}
        # When we first saw each line offline, for the repair issue.
        self._offline_since: dict[str, datetime] = {}

    async def _async_update_data(self) -> SendblueData:
        """Fetch the lines and what Sendblue knows about them."""
        with entry_errors(UpdateFailed):
            numbers = await self.client.list_lines()
            states = await _optional(self.client.get_lines_state())
            usage = await _optional(self.client.get_lines_usage())
            contacts = await _optional(self.client.count_contacts())
        state_by_line = {s.sendblue_number: s for s in states.lines} if states else {}
        usage_by_line = {u.phone: u for u in usage.lines} if usage else {}
        data = SendblueData(
            lines={
                number: SendblueLine(
                    number=number,
                    state=state_by_line.get(number),
                    usage=usage_by_line.get(number),
                )
                for number in numbers
            },
            contacts=contacts,
        )
        self._check_offline_lines(data)
        self._remove_stale_devices(data)
        return data

    def _remove_stale_devices(self, data: SendblueData) -> None:
        """Remove the devices of lines that left the account."""
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        wanted = {line_identifier(entry_id, number) for number in data.lines}
        prefix = line_identifier(entry_id, "")
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            identifiers = {i for d, i in device.identifiers if d == DOMAIN}
            if any(i.startswith(prefix) for i in identifiers) and not (
                identifiers & wanted
            ):
                registry.async_update_device(device.id, remove_config_entry_id=entry_id)

    def _check_offline_lines(self, data: SendblueData) -> None:
        """Raise a repair issue for lines offline for more than an hour."""
        now = dt_util.utcnow()
        for number, line in data.lines.items():
            issue_id = f"line_offline_{self.config_entry.entry_id}_{number}"
            if line.status is not LineStatus.OFFLINE:
                self._offline_since.pop(number, None)
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                continue
            changed = line.state.status_changed_at if line.state else None
            since = self._offline_since.setdefault(number, changed or now)
            if now - since >= LINE_OFFLINE_REPAIR_AFTER:
                raise_issue(
                    self.hass,
                    issue_id,
                    "line_offline",
                    {"line": format_number(number)},
                )
        for number in set(self._offline_since) - set(data.lines):
            del self._offline_since[number]

    def line_activity(self, line: str) -> LineActivity:
        """Return the activity record of a line."""
        return self.activity.setdefault(line, LineActivity())


async def _optional[T](call: Awaitable[T]) -> T | None:
    """Await an endpoint that not every account or API version has."""
    try:
        return await call
    except SendblueNotFoundError:
        return None
