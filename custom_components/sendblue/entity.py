"""Base entity and devices of the Sendblue integration."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .addresses import format_number
from .const import DOMAIN
from .data import LineEventTarget, SendblueConfigEntry, SendblueDataCoordinator
from .identifiers import line_identifier

MANUFACTURER = "Sendblue"
DASHBOARD_URL = "https://dashboard.sendblue.com"


def account_device_info(entry: SendblueConfigEntry) -> DeviceInfo:
    """Return the service device standing for the Sendblue account."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=MANUFACTURER,
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=DASHBOARD_URL,
    )


class SendblueEntity(CoordinatorEntity[SendblueDataCoordinator]):
    """An entity of the account, or of one of its lines."""

    _attr_has_entity_name = True

    def __init__(
        self, entry: SendblueConfigEntry, *, key: str, line: str | None = None
    ) -> None:
        """Initialize the entity on the account device or a line device."""
        super().__init__(entry.runtime_data.coordinator)
        self.entry = entry
        self.line = line
        if line is None:
            self._attr_unique_id = f"{entry.entry_id}_{key}"
            self._attr_device_info = account_device_info(entry)
        else:
            identifier = line_identifier(entry.entry_id, line)
            self._attr_unique_id = f"{identifier}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, identifier)},
                name=format_number(line),
                manufacturer=MANUFACTURER,
                serial_number=line,
                via_device_id=dr.async_get_device_id_by_identifier(
                    self.coordinator.hass,
                    (DOMAIN, entry.entry_id),
                    config_entry_id=entry.entry_id,
                ),
                configuration_url=DASHBOARD_URL,
            )

    @property
    def available(self) -> bool:
        """Return whether the line still belongs to the account."""
        return super().available and (
            self.line is None or self.line in self.coordinator.data.lines
        )


class SendblueLineEntity(SendblueEntity):
    """An entity of one of the account's lines, told of what happens on it."""

    line: str

    def __init__(self, entry: SendblueConfigEntry, *, key: str, line: str) -> None:
        """Initialize the entity on the line's device."""
        super().__init__(entry, key=key, line=line)

    @callback
    def async_listen_line_events(self, target: LineEventTarget) -> None:
        """Call target with every event of the line until removal."""
        followers = self.entry.runtime_data.followers
        self.async_on_remove(followers.async_follow_events(self.line, target))

    @callback
    def async_listen_line_activity(self, target: Callable[[], None]) -> None:
        """Call target whenever the line's activity changed, until removal."""
        followers = self.entry.runtime_data.followers
        self.async_on_remove(followers.async_follow_activity(self.line, target))


def async_add_line_entities(
    entry: SendblueConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[str], Iterable[Entity]],
) -> None:
    """Add a line's entities for every line, now and whenever a line appears."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_lines() -> None:
        new = set(coordinator.data.lines) - known
        known.update(new)
        async_add_entities(entity for line in sorted(new) for entity in create(line))

    add_new_lines()
    entry.async_on_unload(coordinator.async_add_listener(add_new_lines))
