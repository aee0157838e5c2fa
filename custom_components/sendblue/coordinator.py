"""Coordinator polling the account's lines, their health and capacity."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .addresses import format_number
from .api import LineState, LineStatus, SendblueClient, SendblueNotFoundError
from .const import (
    DOMAIN,
    FAILED_POLL_RETRY,
    LINE_OFFLINE_REPAIR_AFTER,
    LINES_SCAN_INTERVAL,
    LOGGER,
    MAX_FAILED_POLL_RETRY,
)
from .data import SendblueConfigEntry, SendblueData, SendblueLine
from .errors import setup_errors
from .identifiers import line_identifier
from .issues import clear_issue, raise_issue


class SendblueCoordinator(DataUpdateCoordinator[SendblueData]):
    """Poll lines, line state, line usage and the contact count."""

    config_entry: SendblueConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        client: SendblueClient,
        interval: timedelta = LINES_SCAN_INTERVAL,
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=interval,
        )
        self.client = client
        self._interval = interval
        # When we first saw each line offline, for the repair issue.
        self._offline_since: dict[str, datetime] = {}

    def use_interval(self, interval: timedelta) -> None:
        """Poll this often from now on (how the entry receives decides it)."""
        self._interval = interval
        self.update_interval = interval
        if self._unsub_refresh is not None:
            # The refresh set up with the old interval comes at the new one.
            self._schedule_refresh()

    @callback
    def async_set_line_state(self, state: LineState) -> bool:
        """Show a line's new status at once; return False for a line we do not know."""
        data = self.data
        number = state.sendblue_number
        if number is None or (line := data.lines.get(number)) is None:
            return False
        if line.state is not None:
            state = replace(
                line.state,
                status=state.status,
                status_changed_at=state.status_changed_at,
            )
        lines = {**data.lines, line.number: replace(line, state=state)}
        new = replace(data, lines=lines)
        self._check_offline_lines(new)
        self.async_set_updated_data(new)
        return True

    async def _async_update_data(self) -> SendblueData:
        """Fetch the lines and what Sendblue knows about them."""
        try:
            data = await self._async_fetch()
        except UpdateFailed:
            # Ask again after 30 s, then every minute, so entities come back
            # within a minute of Sendblue's return (the normal interval can be an
            # hour). Only list_lines is asked while it fails: one call a minute.
            failed = self.update_interval or self._interval
            retry = FAILED_POLL_RETRY if failed >= self._interval else failed * 2
            self.update_interval = min(retry, MAX_FAILED_POLL_RETRY, self._interval)
            raise
        self.update_interval = self._interval
        self._check_offline_lines(data)
        self._remove_stale_devices(data)
        return data

    async def _async_fetch(self) -> SendblueData:
        """Read the lines, their state and usage, and the contact count."""
        with setup_errors(UpdateFailed):
            numbers = await self.client.list_lines()
            states = await _optional(self.client.get_lines_state())
            usage = await _optional(self.client.get_lines_usage())
            contacts = await _optional(self.client.count_contacts())
        state_by_line = {s.sendblue_number: s for s in states.lines} if states else {}
        usage_by_line = {u.phone: u for u in usage.lines} if usage else {}
        return SendblueData(
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
                registry.async_remove_device(device.id)

    def _check_offline_lines(self, data: SendblueData) -> None:
        """Raise a repair issue for lines offline for more than an hour."""
        now = dt_util.utcnow()
        for number, line in data.lines.items():
            issue_id = f"line_offline_{self.config_entry.entry_id}_{number}"
            if line.status is not LineStatus.OFFLINE:
                self._offline_since.pop(number, None)
                clear_issue(self.hass, issue_id)
                continue
            changed = line.state.status_changed_at if line.state else None
            since = self._offline_since.setdefault(number, changed or now)
            if now - since >= LINE_OFFLINE_REPAIR_AFTER:
                raise_issue(
                    self.hass, issue_id, "line_offline", {"line": format_number(number)}
                )
        for number in set(self._offline_since) - set(data.lines):
            del self._offline_since[number]


async def _optional[T](call: Awaitable[T]) -> T | None:
    """Await an endpoint that not every account or API version has."""
    try:
        return await call
    except SendblueNotFoundError:
        return None
