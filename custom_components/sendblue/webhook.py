"""The webhook Sendblue calls, and keeping Sendblue pointed at it."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from http import HTTPStatus
from types import ModuleType
from typing import Any

from aiohttp import hdrs
from aiohttp.web import BaseRequest, Request, RequestPayloadError, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.json import json_loads

from .addresses import mask
from .api import (
    SendblueAuthenticationError,
    SendblueClient,
    SendblueError,
    SendblueInvalidResponseError,
    WebhookConfiguration,
    WebhookType,
    parse_webhook,
)
from .catchup import SendblueCatchup
from .const import (
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    LOGGER,
    MAX_PAYLOAD_DEPTH,
    MAX_WEBHOOK_BODY,
    RECEIVE_CHECK_INTERVAL,
    WEBHOOK_SECRET_HEADER,
    ReceiveMode,
)
from .data import SendblueConfigEntry
from .errors import setup_errors, start_reauth
from .inbound import SendblueInbound
from .issues import clear_issue, raise_issue
from .store import SendblueStore

# What the integration listens to; Sendblue's other types are not ours to register.
WEBHOOK_TYPES = (
    WebhookType.RECEIVE,
    WebhookType.OUTBOUND,
    WebhookType.TYPING_INDICATOR,
)
ISSUE_NO_URL = "webhook_url_missing_{entry_id}"


class SendblueWebhook:
    """Receive Sendblue's webhook calls for one config entry."""

    mode = ReceiveMode.WEBHOOK

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        inbound: SendblueInbound,
        store: SendblueStore,
        catchup: SendblueCatchup,
    ) -> None:
        """Initialize the webhook for an entry."""
        self.hass = hass
        self.entry = entry
        self.inbound = inbound
        self.store = store
        self.catchup = catchup
        self._secret = entry.data[CONF_WEBHOOK_SECRET].encode()
        self._warned = False
        # Whether Sendblue may have called in vain: no URL, or a lost registration.
        self._gap = True
        self._check_failed = False
        self.refused = 0
        self.readded = 0

    async def async_setup(self, client: SendblueClient) -> None:
        """Register the webhook in Home Assistant and with Sendblue, then catch up.

        The listing runs once the webhook listens, so that nothing falls between.
        """
        self._client = client
        self._register_local()
        await self._async_register(client, setup=True)
        self.catchup.async_run_when_started()
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_hourly,
                RECEIVE_CHECK_INTERVAL,
                name=f"Sendblue webhook check {self.entry.title}",
                cancel_on_shutdown=True,
            )
        )

    def _register_local(self) -> None:
        """Listen on Home Assistant's webhook URL until the entry unloads."""
        webhook_id = self.entry.data[CONF_WEBHOOK_ID]
        webhook.async_register(
            self.hass,
            DOMAIN,
            self.entry.title,
            webhook_id,
            self.async_handle,
            local_only=False,
            allowed_methods=[hdrs.METH_POST],
        )
        self.entry.async_on_unload(
            lambda: webhook.async_unregister(self.hass, webhook_id)
        )

    async def _async_register(self, client: SendblueClient, *, setup: bool) -> bool:
        """Make sure Sendblue calls our URL; return whether it may not have been.

        At setup a failure fails the setup; later it is raised to the caller.
        """
        issue_id = ISSUE_NO_URL.format(entry_id=self.entry.entry_id)
        url, cloudhook = await self.async_public_url()
        if url is None:
            # Without a URL Sendblue can reach, say how to fix it; setup goes on.
            raise_issue(
                self.hass, issue_id, "webhook_url_missing", {"title": self.entry.title}
            )
            self._gap = True
            return True
        clear_issue(self.hass, issue_id)
        if setup:
            with setup_errors():
                added = await self._async_register_remote(client, url)
        else:
            added = await self._async_register_remote(client, url)
        await self.store.async_set_webhook(url, cloudhook=cloudhook)
        gap, self._gap = self._gap or added, False
        return gap

    async def _async_hourly(self, _now: datetime) -> None:
        """Re-add a registration Sendblue lost, and list what changed meanwhile."""
        try:
            was_registered = self.store.webhook_url is not None and not self._gap
            gap = await self._async_register(self._client, setup=False)
        except SendblueError as err:
            if isinstance(err, SendblueAuthenticationError):
                start_reauth(self.hass, self.entry, err)
            if not self._check_failed:
                self._check_failed = True
                LOGGER.warning(
                    "Could not check the Sendblue webhook of %s: %s",
                    mask(self.entry.title),
                    err,
                )
            return
        if self._check_failed:
            self._check_failed = False
            LOGGER.info(
                "Checking the Sendblue webhook of %s works again",
                mask(self.entry.title),
            )
        if gap and was_registered:
            self.readded += 1
            LOGGER.info(
                "Sendblue had lost the webhook of %s: added it again",
                mask(self.entry.title),
            )
        await self.catchup.async_run_logged()

    async def async_public_url(self) -> tuple[str | None, bool]:
        """Return the URL Sendblue can call (the cloudhook, else the external URL)."""
        webhook_id = self.entry.data[CONF_WEBHOOK_ID]
        if (cloud := _cloud(self.hass)) and cloud.async_active_subscription(self.hass):
            # Home Assistant Cloud keeps the cloudhook: asking again returns it.
            url = await cloud.async_get_or_create_cloudhook(self.hass, webhook_id)
            return str(url), True
        try:
            url = webhook.async_generate_url(
                self.hass, webhook_id, allow_internal=False
            )
        except NoURLAvailableError:
            return None, False
        return url, False

    async def _async_register_remote(self, client: SendblueClient, url: str) -> bool:
        """Make Sendblue call our URL with our secret, once per type.

        Return whether anything had to be added (Sendblue did not call us).
        """
        secret = self._secret.decode()
        registered = self.store.webhook_url
        if registered and registered != url:
            await async_unregister_remote(client, registered)
        existing = await client.list_webhooks()
        added = False
        for webhook_type in WEBHOOK_TYPES:
            ours = [
                config
                for config in existing.by_type.get(webhook_type, ())
                if config.url == url
            ]
            if any(config.secret == secret for config in ours):
                continue
            if ours:
                # Registered with another secret: Sendblue would be turned away.
                await client.delete_webhooks(urls=[url], webhook_type=webhook_type)
            await client.add_webhooks(
                webhooks=[WebhookConfiguration(url=url, secret=secret)],
                webhook_type=webhook_type,
            )
            added = True
        return added

    async def async_handle(
        self,
        hass: HomeAssistant,  # noqa: ARG002
        webhook_id: str,  # noqa: ARG002
        request: Request,
    ) -> Response:
        """Authenticate, validate and fire one delivery from Sendblue.

        The secret is checked before the body is read, so no one without it can
        make Home Assistant read, inflate or parse anything.
        """
        given = request.headers.get(WEBHOOK_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            if not self._warned:
                # Once, not per request: a flood must not flood the log.
                LOGGER.warning(
                    "Refused a call to the Sendblue webhook of entry %s without the"
                    " right %s header",
                    self.entry.entry_id,
                    WEBHOOK_SECRET_HEADER,
                )
                self._warned = True
            return await _refuse(request, HTTPStatus.UNAUTHORIZED)
        payload = await _read_payload(request)
        if isinstance(payload, HTTPStatus):
            return await _refuse(request, payload)
        try:
            item = parse_webhook(payload)
        except SendblueInvalidResponseError:
            return await _refuse(request, HTTPStatus.BAD_REQUEST)
        self.inbound.async_process(item, payload)
        # Sendblue needs only a 2xx; a body would be encoded for nobody.
        return Response(status=HTTPStatus.OK)

    def diagnostics(self) -> dict[str, Any]:
        """Return whether Sendblue calls us, and how many calls were refused."""
        return {
            **self.store.diagnostics(),
            "refused_calls": self.refused,
            "readded": self.readded,
            "catchup": self.catchup.diagnostics(),
        }


async def _refuse(request: Request, status: HTTPStatus) -> Response:
    """Answer and close the connection, so the body is never read or inflated.

    aiohttp would otherwise drain what is left of the body before the next
    request on the connection, decompressing it on the event loop.
    """
    response = Response(status=status, headers={hdrs.CONNECTION: "close"})
    response.force_close()
    if isinstance(request, BaseRequest) and request.protocol is not None:
        await response.prepare(request)
        await response.write_eof()
        request.protocol.force_close()
    return response


async def _read_payload(request: Request) -> dict[str, Any] | HTTPStatus:
    """Return the body's JSON object, or the status that refuses it."""
    try:
        body = await _read_body(request)
    except RequestPayloadError:
        # A body that cannot be decompressed (Content-Encoding) is not Sendblue's.
        return HTTPStatus.BAD_REQUEST
    if body is None:
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    try:
        payload = json_loads(body)
    except ValueError:
        return HTTPStatus.BAD_REQUEST
    if not isinstance(payload, dict) or _too_deep(body, payload):
        return HTTPStatus.BAD_REQUEST
    return payload


def _too_deep(body: bytes, payload: object) -> bool:
    """Return whether lists and objects nest deeper than MAX_PAYLOAD_DEPTH.

    The event carries the payload to the recorder and the websocket, whose JSON
    encoder gives up at 254 levels. Counting brackets first keeps the walk off
    the path of every real payload (Sendblue's nest two deep).
    """
    if body.count(b"{") + body.count(b"[") <= MAX_PAYLOAD_DEPTH:
        return False
    stack: list[tuple[object, int]] = [(payload, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level >= MAX_PAYLOAD_DEPTH:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


async def _read_body(request: Request) -> bytes | None:
    """Read the body, or return None as soon as it passes the size limit."""
    declared = request.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY:
        return None
    content = request.content
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.read(65536):
        size += len(chunk)
        if size > MAX_WEBHOOK_BODY:
            return None
        if not chunks and content.at_eof():
            # Sendblue's bodies arrive whole: no second read, nothing to join.
            return chunk
        chunks.append(chunk)
    return b"".join(chunks)


async def async_unregister_remote(client: SendblueClient, url: str) -> None:
    """Stop Sendblue calling a URL of ours."""
    for webhook_type in WEBHOOK_TYPES:
        await client.delete_webhooks(urls=[url], webhook_type=webhook_type)


async def async_forget_remote(client: SendblueClient, store: SendblueStore) -> None:
    """Stop Sendblue calling us when the entry no longer receives by webhook."""
    if url := store.webhook_url:
        await async_unregister_remote(client, url)
        await store.async_set_webhook(None, cloudhook=False)


async def async_remove_webhook(
    hass: HomeAssistant,
    entry: SendblueConfigEntry,
    client: SendblueClient,
    store: SendblueStore,
) -> None:
    """Remove what the entry registered: Sendblue's webhooks and the cloudhook."""
    if url := store.webhook_url:
        try:
            await async_unregister_remote(client, url)
        except SendblueError as err:
            LOGGER.warning(
                "Could not remove the webhook from Sendblue, remove it in the"
                " Sendblue dashboard: %s",
                err,
            )
    if store.cloudhook and (cloud := _cloud(hass)):
        try:
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
        except cloud.CloudNotAvailable, ValueError:
            LOGGER.debug("The cloudhook was already gone")


def _cloud(hass: HomeAssistant) -> ModuleType | None:
    """Return the cloud integration when it is loaded; most users have none."""
    if "cloud" not in hass.config.components:
        return None
    # Imported here: importing cloud pulls in Assist, Alexa and Google Assistant.
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud
