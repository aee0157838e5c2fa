"""The Sendblue integration: iMessage, SMS and RCS through the Sendblue API."""

from __future__ import annotations

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
    CONF_CLOUDHOOK_URL,
    CONF_REGISTERED_URL,
    DEFAULT_BASE_URL,
    DOMAIN,
)
from .coordinator import SendblueCoordinator
from .data import (
    ActivityLog,
    LineFollowers,
    SendblueConfigEntry,
    SendblueRuntimeData,
    SentLines,
)
from .entity import account_device_info
from .inbound import SendblueInbound
from .llm_api import async_setup_llm_api
from .notify import SendblueNotificationService
from .outbox import SendblueOutbox, outbox_store
from .receive import async_start_receiver
from .services import async_setup_services
from .store import SendblueStore
from .webhook import async_remove_webhook

PLATFORMS = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Set up the Sendblue integration and its actions."""
    async_setup_services(hass)
    return True


def create_client(hass: HomeAssistant, entry: SendblueConfigEntry) -> SendblueClient:
    """Return a client for an entry's credentials on Home Assistant's session."""
    return SendblueClient(
        entry.data[CONF_API_KEY_ID],
        entry.data[CONF_API_SECRET_KEY],
        session=async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
    )


async def async_setup_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> bool:
    """Set up Sendblue from a config entry."""
    client = create_client(hass, entry)
    coordinator = SendblueCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    store = SendblueStore(hass, entry.entry_id)
    await store.async_load()
    # Registered first, so it runs last: after the receivers stopped.
    entry.async_on_unload(store.async_save)
    activity, followers, sent_lines = ActivityLog(), LineFollowers(), SentLines()
    outbox = SendblueOutbox(hass, entry, client, sent_lines)
    await outbox.async_load()
    inbound = SendblueInbound(
        hass,
        entry,
        lines=lambda: coordinator.data,
        activity=activity,
        followers=followers,
        sent_lines=sent_lines,
        seen=store.seen,
    )
    entry.runtime_data = runtime = SendblueRuntimeData(
        client=client,
        coordinator=coordinator,
        activity=activity,
        followers=followers,
        sent_lines=sent_lines,
        inbound=inbound,
        outbox=outbox,
        legacy_notify=SendblueNotificationService(entry),
    )
    # Lines hang off the account device, so it exists before any line device.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )
    runtime.receiver = await async_start_receiver(
        hass, entry, inbound, store, coordinator
    )
    if entry.options.get(CONF_ASSIST):
        runtime.assist = SendblueAssist(hass, entry).async_start()

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
    # Every change (options, recipients, new keys) reloads: the entry writes
    # nothing into itself while it runs.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    # What was queued before a restart or reload goes on where it was.
    outbox.async_start()
    # Last: an entry that failed to set up never offers conversation agents tools.
    async_setup_llm_api(hass, entry)
    return True


async def _async_reload(hass: HomeAssistant, entry: SendblueConfigEntry) -> None:
    """Reload the entry after a change."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


def _legacy_notify_name(hass: HomeAssistant, entry: SendblueConfigEntry) -> str:
    """Return notify.sendblue for the first entry and the title for the others."""
    first = hass.config_entries.async_entries(DOMAIN)[0]
    return DOMAIN if first.entry_id == entry.entry_id else slugify(entry.title)


async def async_unload_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> bool:
    """Unload a config entry; Sendblue keeps calling the webhook until removal."""
    runtime = entry.runtime_data
    if service := runtime.legacy_notify:
        await service.async_unregister_services()
    # Saved as it is; attempts under way are looked for after the next start.
    await runtime.outbox.async_stop()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> None:
    """Stop Sendblue calling a removed entry, delete its cloudhook and storage."""
    store = SendblueStore(hass, entry.entry_id)
    await store.async_load()
    await async_remove_webhook(hass, entry, create_client(hass, entry), store)
    await store.async_remove()
    # What was still queued goes with the entry.
    await outbox_store(hass, entry.entry_id).async_remove()


async def async_migrate_entry(hass: HomeAssistant, entry: SendblueConfigEntry) -> bool:
    """Move what 1.1 entries kept in their data into the entry's storage."""
    if entry.version > 1:
        return False
    if entry.minor_version == 1:
        data = dict(entry.data)
        url = data.pop(CONF_REGISTERED_URL, None)
        cloudhook = data.pop(CONF_CLOUDHOOK_URL, None) is not None
        store = SendblueStore(hass, entry.entry_id)
        await store.async_set_webhook(url, cloudhook=cloudhook and url is not None)
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
    return True
