"""Choose and start how an entry learns what happens at Sendblue."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import SendblueStreamNotAvailableError
from .catchup import SendblueCatchup
from .const import (
    CONF_POLLING_INTERVAL,
    CONF_RECEIVE_MODE,
    CONF_REPLAY_WINDOW,
    DEFAULT_POLLING_INTERVAL,
    DEFAULT_RECEIVE_MODE,
    DEFAULT_REPLAY_WINDOW,
    LINES_SCAN_INTERVAL,
    SIGNAL_RECEIVE_MODE,
    STREAM_LINES_SCAN_INTERVAL,
    WEBHOOK_LINES_SCAN_INTERVAL,
    ReceiveMode,
)
from .coordinator import SendblueCoordinator
from .data import Receiver, SendblueConfigEntry
from .errors import setup_errors
from .inbound import SendblueInbound
from .issues import clear_issue, raise_issue
from .polling import SendbluePoller
from .store import SendblueStore
from .stream import SendblueStream
from .webhook import SendblueWebhook, async_forget_remote

ISSUE_NO_STREAM = "stream_not_available_{entry_id}"


def configured_mode(entry: SendblueConfigEntry) -> ReceiveMode:
    """Return the mode the options ask for (auto: chosen at setup)."""
    return ReceiveMode(entry.options.get(CONF_RECEIVE_MODE, DEFAULT_RECEIVE_MODE))


async def async_start_receiver(
    hass: HomeAssistant,
    entry: SendblueConfigEntry,
    inbound: SendblueInbound,
    store: SendblueStore,
    coordinator: SendblueCoordinator,
) -> Receiver | None:
    """Start receiving in the entry's mode; None when it only sends.

    Auto takes the stream when the account's answers, else the webhook when
    Home Assistant has a public URL, else polling.
    """
    client = entry.runtime_data.client
    mode = configured_mode(entry)
    minutes = entry.options.get(CONF_REPLAY_WINDOW, DEFAULT_REPLAY_WINDOW)
    catchup = SendblueCatchup(
        hass, entry, client, inbound, store, replay_window=timedelta(minutes=minutes)
    )
    # Before anything listens: what comes from now on is found by the listing.
    catchup.start_cursor()
    issue_id = ISSUE_NO_STREAM.format(entry_id=entry.entry_id)
    if mode in (ReceiveMode.AUTO, ReceiveMode.STREAM):

        @callback
        def fall_back() -> None:
            """Poll for the rest of this run: the stream went away."""
            raise_issue(hass, issue_id, "stream_not_available", {"title": entry.title})
            coordinator.use_interval(LINES_SCAN_INTERVAL)
            entry.runtime_data.receiver = _start_polling(hass, entry, catchup)
            async_dispatcher_send(
                hass, SIGNAL_RECEIVE_MODE.format(entry_id=entry.entry_id)
            )

        stream = SendblueStream(
            hass,
            entry,
            client,
            inbound,
            catchup,
            coordinator,
            on_not_available=fall_back,
        )
        entry.async_on_unload(stream.async_close)
        with setup_errors():
            available = await _async_probe(stream)
        if not available:
            if mode is ReceiveMode.STREAM:
                raise_issue(
                    hass, issue_id, "stream_not_available", {"title": entry.title}
                )
                mode = ReceiveMode.POLLING
            else:
                clear_issue(hass, issue_id)
                mode = ReceiveMode.WEBHOOK
        else:
            clear_issue(hass, issue_id)
            # Sendblue would call a webhook of ours as well.
            with setup_errors():
                await async_forget_remote(client, store)
            coordinator.use_interval(STREAM_LINES_SCAN_INTERVAL)
            stream.async_start()
            return stream
    else:
        clear_issue(hass, issue_id)
    if mode is ReceiveMode.WEBHOOK:
        webhook = SendblueWebhook(hass, entry, inbound, store, catchup)
        if (
            configured_mode(entry) is not ReceiveMode.AUTO
            or (await webhook.async_public_url())[0]
        ):
            coordinator.use_interval(WEBHOOK_LINES_SCAN_INTERVAL)
            await webhook.async_setup(client)
            return webhook
        mode = ReceiveMode.POLLING
    # Sendblue would keep calling a webhook we no longer listen to.
    with setup_errors():
        await async_forget_remote(client, store)
    if mode is ReceiveMode.POLLING:
        return _start_polling(hass, entry, catchup)
    return None


async def _async_probe(stream: SendblueStream) -> bool:
    """Open the stream; return False when the account has none (404, 405)."""
    try:
        await stream.async_open()
    except SendblueStreamNotAvailableError:
        return False
    return True


def _start_polling(
    hass: HomeAssistant, entry: SendblueConfigEntry, catchup: SendblueCatchup
) -> SendbluePoller:
    """Start polling at the entry's interval."""
    interval = entry.options.get(CONF_POLLING_INTERVAL, DEFAULT_POLLING_INTERVAL)
    poller = SendbluePoller(hass, entry, catchup, timedelta(seconds=interval))
    poller.async_start()
    return poller
