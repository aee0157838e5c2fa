"""Notify entities (one per recipient) and the legacy notify service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    NotifyEntityFeature,
)
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_RECIPIENT_KIND,
    CONF_RECIPIENT_LINE,
    CONF_RECIPIENT_TARGET,
    DOMAIN,
    SUBENTRY_RECIPIENT,
    RecipientKind,
)
from .data import SendblueConfigEntry, SendblueDataCoordinator, SendblueRuntimeData
from .entity import MANUFACTURER
from .errors import async_name_field
from .identifiers import recipient_identifier
from .inputs import (
    Inputs,
    check_content,
    given_retry_for,
    resolve_line,
    retry_for_option,
    send_style,
)
from .send import Outgoing, async_send

# Sending writes to Sendblue: one at a time per platform, as the rules ask.
PARALLEL_UPDATES = 1

ATTR_MEDIA_URL = "media_url"
ATTR_SEND_STYLE = "send_style"
ATTR_FROM_NUMBER = "from_number"
ATTR_RETRY_FOR = "retry_for"


def compose(message: str, title: str | None) -> str:
    """Put the title, when there is one, on the first line."""
    return f"{title}\n{message}" if title else message


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SendblueConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a notify entity for every recipient."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_RECIPIENT:
            async_add_entities(
                [SendblueNotifyEntity(entry, subentry)],
                config_subentry_id=subentry.subentry_id,
            )


class SendblueNotifyEntity(CoordinatorEntity[SendblueDataCoordinator], NotifyEntity):
    """Send to one saved recipient: a person or a group chat.

    It follows the account's reachability: available while Sendblue answers the
    coordinator's polls, back with the first poll (or send) that works again.
    With the outbox on, it stays available while Sendblue is down, since a
    message sent then is kept and delivered later; Home Assistant would drop a
    message to an unavailable entity.
    """

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: SendblueConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialize the entity of a recipient."""
        super().__init__(entry.runtime_data.coordinator)
        self.entry = entry
        self.subentry = subentry
        identifier = recipient_identifier(entry.entry_id, subentry.subentry_id)
        self._attr_unique_id = identifier
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identifier)},
            name=subentry.title,
            manufacturer=MANUFACTURER,
            entry_type=DeviceEntryType.SERVICE,
            via_device_id=dr.async_get_device_id_by_identifier(
                self.coordinator.hass,
                (DOMAIN, entry.entry_id),
                config_entry_id=entry.entry_id,
            ),
        )

    @property
    def available(self) -> bool:
        """Return whether a message sent now goes out (or is kept to go out later)."""
        return super().available or retry_for_option(self.entry.options) > timedelta(0)

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message to the recipient from its line."""
        content = compose(message, title)
        check_content(content, None)
        data = self.subentry.data
        line = resolve_line(self.entry, data.get(CONF_RECIPIENT_LINE))
        target = [data[CONF_RECIPIENT_TARGET]]
        if data.get(CONF_RECIPIENT_KIND) == RecipientKind.GROUP:
            outgoing = Outgoing(groups=target, content=content)
        else:
            outgoing = Outgoing(recipients=target, content=content)
        await async_send(self.hass, self.entry, outgoing, line=line)


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,  # noqa: ARG001
    discovery_info: DiscoveryInfoType | None = None,
) -> BaseNotificationService | None:
    """Return the legacy notify service that the entry's setup made."""
    if discovery_info is None:
        return None
    entry = hass.config_entries.async_get_entry(discovery_info[ATTR_CONFIG_ENTRY_ID])
    if entry is None or entry.domain != DOMAIN:
        return None
    runtime: SendblueRuntimeData = entry.runtime_data
    return runtime.legacy_notify


class SendblueNotificationService(BaseNotificationService):
    """notify.sendblue: for alert:, notify groups and YAML written for notify."""

    def __init__(self, entry: SendblueConfigEntry) -> None:
        """Initialize the service for one entry."""
        self.entry = entry

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:  # noqa: ANN401
        """Send to every target, with optional media, effect and line in data."""
        try:
            await self._async_send(message, **kwargs)
        except ServiceValidationError as err:
            raise await async_name_field(
                self.hass, err, Platform.NOTIFY, Platform.NOTIFY
            ) from err

    async def _async_send(self, message: str, **kwargs: Any) -> None:  # noqa: ANN401
        """Validate the call, then send."""
        data: dict[str, Any] = kwargs.get(ATTR_DATA) or {}
        inputs = Inputs(self.hass.config.country)
        numbers, groups = inputs.targets(ATTR_TARGET, kwargs.get(ATTR_TARGET) or [])
        content = compose(message, kwargs.get(ATTR_TITLE)) or None
        media_url = data.get(ATTR_MEDIA_URL)
        check_content(content, media_url)
        keep = given_retry_for(data, ATTR_RETRY_FOR)
        outgoing = Outgoing(
            recipients=numbers,
            groups=groups,
            content=content,
            media_url=media_url,
            send_style=send_style(data.get(ATTR_SEND_STYLE)),
        )
        line = resolve_line(self.entry, data.get(ATTR_FROM_NUMBER))
        await async_send(self.hass, self.entry, outgoing, line=line, retry_for=keep)
