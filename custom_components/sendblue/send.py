"""Sending through Sendblue: validation, line choice, fan-out and media upload."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    SendblueAuthenticationError,
    SendblueError,
    SendStyle,
)
from .const import CONF_DEFAULT_LINE, DOMAIN
from .coordinator import SendblueConfigEntry
from .helpers import error_translation, ha_error, is_address

# The shortest E.164 number is this many digits (see helpers.E164).
MIN_E164_DIGITS = 7
# Sendblue's documented limit is "under 18,996 characters".
MAX_CONTENT_LENGTH = 18995
# Sendblue takes files up to 100 MB; refuse bigger before reading them all.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MEDIA_TIMEOUT = aiohttp.ClientTimeout(total=60)
# The media selector's camera snapshots; read as an image, not a stream.
CAMERA_MEDIA_PREFIX = "media-source://camera/"


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def resolve_line(entry: SendblueConfigEntry, from_number: str | None) -> str:
    """Return the sending line: the one asked for, the default, or the first."""
    lines = sorted(entry.runtime_data.coordinator.data.lines)
    if from_number:
        if from_number not in lines:
            raise invalid("unknown_line", line=from_number)
        return from_number
    default = entry.options.get(CONF_DEFAULT_LINE)
    if default in lines:
        return str(default)
    if not lines:
        raise invalid("no_line")
    return lines[0]


def validate_addresses(field: str, addresses: Sequence[str]) -> list[str]:
    """Return the addresses stripped, or raise naming the first bad one."""
    cleaned = [address.strip() for address in addresses]
    if not cleaned:
        raise invalid("no_recipient", field=field)
    for address in cleaned:
        if not is_address(address):
            raise invalid("invalid_number", field=field, number=address)
    return cleaned


def split_targets(field: str, targets: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split targets into numbers or e-mails, and group ids.

    Anything that looks like a number or an e-mail must be a valid one, so a
    mistyped number is an error rather than an unknown group.
    """
    cleaned = [target.strip() for target in targets if target.strip()]
    # notify's own schema has already made a templated number a string of digits.
    cleaned = [
        f"+{t}" if t.isdigit() and len(t) >= MIN_E164_DIGITS else t for t in cleaned
    ]
    if not cleaned:
        raise invalid("no_recipient", field=field)
    addresses = [t for t in cleaned if "@" in t or t.lstrip("+").isdigit()]
    groups = [t for t in cleaned if t not in addresses]
    return (validate_addresses(field, addresses) if addresses else []), groups


def validate_content(content: str | None, media_url: str | None) -> None:
    """Raise unless there is text or media, and the text fits."""
    if not content and not media_url:
        raise invalid("nothing_to_send")
    if content and len(content) > MAX_CONTENT_LENGTH:
        raise invalid(
            "message_too_long", length=str(len(content)), max=str(MAX_CONTENT_LENGTH)
        )


def validate_send_style(send_style: str | None) -> SendStyle | None:
    """Return the send style, or raise for one Sendblue does not know."""
    if not send_style:
        return None
    try:
        return SendStyle(send_style)
    except ValueError:
        raise invalid("invalid_send_style", send_style=send_style) from None


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """One message to send to one or more recipients."""

    recipients: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    content: str | None = None
    media_url: str | None = None
    send_style: SendStyle | None = None
    reply_to: str | None = None


async def async_send(
    hass: HomeAssistant,
    entry: SendblueConfigEntry,
    outgoing: Outgoing,
    *,
    line: str,
) -> list[dict[str, Any]]:
    """Send to every recipient and group at once; one failure stops no other.

    Raises the translated error when every recipient failed, so a plain
    automation notices; otherwise each result says whether it went out.
    """
    runtime = entry.runtime_data

    content: dict[str, Any] = {
        "from_number": line,
        "content": outgoing.content,
        "media_url": outgoing.media_url,
        "send_style": outgoing.send_style,
        "reply_to": outgoing.reply_to,
    }

    async def send_one(key: str, target: str) -> dict[str, Any]:
        try:
            if key == "group_id":
                message = await runtime.client.send_group_message(
                    group_id=target, **content
                )
            else:
                message = await runtime.client.send_message(number=target, **content)
        except SendblueError as err:
            return {key: target, "error": err}
        if message.message_handle:
            runtime.inbound.remember_line(message.message_handle, line)
        return {
            key: target,
            "message_handle": message.message_handle,
            "status": message.status.value,
            "service": message.service.value if message.service else None,
        }

    results = await asyncio.gather(
        *(send_one("to", to) for to in outgoing.recipients),
        *(send_one("group_id", group) for group in outgoing.groups),
    )
    errors = [r["error"] for r in results if "error" in r]
    if any(isinstance(err, SendblueAuthenticationError) for err in errors):
        entry.async_start_reauth(hass)
    if errors and len(errors) == len(results):
        raise ha_error(errors[0]) from errors[0]
    for result in results:
        if err := result.pop("error", None):
            key, placeholders = error_translation(err)
            result.update(
                error=str(err),
                error_key=key,
                retry_after=placeholders.get("retry_after"),
            )
    return results


async def async_media_to_url(
    hass: HomeAssistant, entry: SendblueConfigEntry, media_content_id: str
) -> str:
    """Upload a media-source item (camera snapshot, local file, URL) to Sendblue."""
    data, filename, content_type = await _async_read_media(hass, media_content_id)
    if len(data) > MAX_UPLOAD_BYTES:
        raise invalid("media_too_large", max="100 MB")
    try:
        uploaded = await entry.runtime_data.client.upload_file(
            data=data, filename=filename, content_type=content_type
        )
    except SendblueAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise ha_error(err) from err
    except SendblueError as err:
        raise ha_error(err) from err
    if not uploaded.media_url:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="upload_without_url"
        )
    return uploaded.media_url


async def _async_read_media(
    hass: HomeAssistant, media_content_id: str
) -> tuple[bytes, str, str | None]:
    """Return the bytes, a file name and the content type of a media item."""
    # Imported here: only sends with media need these integrations.
    from homeassistant.components import camera, media_source  # noqa: PLC0415

    if media_content_id.startswith(CAMERA_MEDIA_PREFIX):
        entity_id = media_content_id.removeprefix(CAMERA_MEDIA_PREFIX)
        image = await camera.async_get_image(hass, entity_id)
        extension = mimetypes.guess_extension(image.content_type) or ".jpg"
        return image.content, f"snapshot{extension}", image.content_type
    try:
        resolved = await media_source.async_resolve_media(hass, media_content_id, None)
    except media_source.Unresolvable as err:
        raise invalid("media_not_found", media=media_content_id) from err
    if resolved.path is not None:
        path: Path = resolved.path
        try:
            data = await hass.async_add_executor_job(path.read_bytes)
        except OSError as err:
            raise invalid("media_not_found", media=media_content_id) from err
        return data, path.name, resolved.mime_type
    if not resolved.url.startswith(("http://", "https://")):
        raise invalid("media_not_found", media=media_content_id)
    session = async_get_clientsession(hass)
    try:
        async with session.get(resolved.url, timeout=MEDIA_TIMEOUT) as response:
            if not response.ok:
                raise invalid("media_not_found", media=media_content_id)
            if (response.content_length or 0) > MAX_UPLOAD_BYTES:
                raise invalid("media_too_large", max="100 MB")
            data = await response.read()
    except (aiohttp.ClientError, TimeoutError) as err:
        raise invalid("media_not_found", media=media_content_id) from err
    name = Path(resolved.url.split("?", 1)[0]).name or "media"
    return data, name, resolved.mime_type
