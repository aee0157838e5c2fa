"""The Sendblue integration: iMessage, SMS and RCS through the Sendblue API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import discovery
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify

from .api import SendblueClient
from .assist import SendblueAssist
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_API_KEY_ID,
    CONF_API_SECRET_KEY,
    CONF_ASSIST,
    CONF_BASE_URL,
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    DEFAULT_BASE_URL,
    DEFAULT_POLLING_INTERVAL,
    DEFAULT_RECEIVE_MODE,
    DOMAIN,
    ReceiveMode,
)
from .coordinator import SendblueConfigEntry, SendblueCoordinator, SendblueRuntimeData
from .entity import account_device_info
from .helpers import entry_errors
from .inbound import SendblueInbound
from .polling import SendbluePoller
from .services import async_setup_services
from .webhook import SendblueWebhook, async_forget_remote, async_remove_webhook

PLATFORMS = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Set up the Sendblue integration and its actions."""
    async_setup_services(hass)
    return True


def create_client(hass: HomeAssistant, data: dict[str, object]) -> SendblueClient:
    """Return a client for an entry's credentials on Home Assistant's session."""
    return SendblueClient(
        str(data[CONF_API_KEY_ID]),
        str(data[CONF_API_SECRET_KEY]),
        session=async_get_clientsession(hass),
        base_url=str(data.get(CONF_BASE_URL) or DEFAULT_BASE_URL),
    )


async def async_setup_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> bool:
    """Set up Sendblue from a config entry."""
    client = create_client(hass, dict(entry.data))
    coordinator = SendblueCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    inbound = SendblueInbound(hass, entry, coordinator)
    entry.runtime_data = SendblueRuntimeData(
        client=client, coordinator=coordinator, inbound=inbound
    )
    # Lines hang off the account device, so it exists before any line device.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )

    mode = ReceiveMode(entry.options.get(CONF_RECEIVE_MODE, DEFAULT_RECEIVE_MODE))
    if mode is ReceiveMode.WEBHOOK:
        await SendblueWebhook(hass, entry, inbound).async_setup(client)
    else:
        with entry_errors():
            await async_forget_remote(hass, entry, client)
    if entry.options.get(CONF_ASSIST):
        SendblueAssist(hass, entry).async_start()
    if mode is ReceiveMode.POLLING:
        interval = entry.options.get(CONF_POLLING_INTERVAL, DEFAULT_POLLING_INTERVAL)
        SendbluePoller(
            hass, entry, client, inbound, timedelta(seconds=interval)
        ).async_start()

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The legacy notify service, for alert:, notify groups and existing YAML.
    hass.async_create_task(
        discovery.async_load_platform(
            hass,
            Platform.NOTIFY,
            DOMAIN,
            {
                CONF_NAME: _legacy_notify_name(hass, entry),
                ATTR_CONFIG_ENTRY_ID: entry.entry_id,
            },
            {},
        ),
        eager_start=True,
    )
    settings = _settings(entry)

    async def _async_entry_updated(
        hass: HomeAssistant, entry: SendblueConfigEntry
    ) -> None:
        """Reload when options or recipients change, not for stored URLs."""
        if _settings(entry) != settings:
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


def _settings(entry: SendblueConfigEntry) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return what the running entry is built from: options and recipients."""
    recipients = {
        subentry_id: (subentry.title, dict(subentry.data))
        for subentry_id, subentry in entry.subentries.items()
    }
    return dict(entry.options), recipients


def _legacy_notify_name(hass: HomeAssistant, entry: SendblueConfigEntry) -> str:
    """Return notify.sendblue for the first entry and the title for the others."""
    first = hass.config_entries.async_entries(DOMAIN)[0]
    return DOMAIN if first.entry_id == entry.entry_id else slugify(entry.title)


async def async_unload_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> bool:
    """Unload a config entry; Sendblue keeps calling the webhook until removal."""
    if service := entry.runtime_data.legacy_notify:
        await service.async_unregister_services()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> None:
    """Stop Sendblue calling a removed entry and delete its cloudhook."""
    await async_remove_webhook(hass, entry, create_client(hass, dict(entry.data)))
