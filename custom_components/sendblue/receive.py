"""Choose and start how an entry learns what happens at Sendblue."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant

from .const import (
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    DEFAULT_POLLING_INTERVAL,
    DEFAULT_RECEIVE_MODE,
    ReceiveMode,
)
from .data import Receiver, SendblueConfigEntry
from .errors import setup_errors
from .inbound import SendblueInbound
from .polling import SendbluePoller
from .store import SendblueStore
from .webhook import SendblueWebhook, async_forget_remote


async def async_start_receiver(
    hass: HomeAssistant,
    entry: SendblueConfigEntry,
    inbound: SendblueInbound,
    store: SendblueStore,
) -> Receiver | None:
    """Start receiving in the entry's mode; None when it only sends."""
    client = entry.runtime_data.client
    mode = ReceiveMode(entry.options.get(CONF_RECEIVE_MODE, DEFAULT_RECEIVE_MODE))
    if mode is ReceiveMode.WEBHOOK:
        receiver = SendblueWebhook(hass, entry, inbound, store)
        await receiver.async_setup(client)
        return receiver
    # Sendblue would keep calling a webhook we no longer listen to.
    with setup_errors():
        await async_forget_remote(client, store)
    if mode is ReceiveMode.POLLING:
        interval = entry.options.get(CONF_POLLING_INTERVAL, DEFAULT_POLLING_INTERVAL)
        poller = SendbluePoller(
            hass, entry, client, inbound, timedelta(seconds=interval)
        )
        poller.async_start()
        return poller
    return None
