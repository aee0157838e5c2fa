"""Sending through Sendblue: the fan-out to many recipients, and media upload."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import MAX_UPLOAD_BYTES, SendblueAuthenticationError, SendStyle
from .const import DOMAIN
from .data import Addressed, SendblueConfigEntry
from .errors import error_translation, ha_error, invalid, start_reauth
from .inputs import retry_for_option

MEDIA_TIMEOUT = aiohttp.ClientTimeout(total=60)
# The media selector's camera snapshots; read as an image, not a stream.
CAMERA_MEDIA_PREFIX = "media-source://camera/"
MAX_UPLOAD_TEXT = f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """One message to send to one or more recipients."""

    recipients: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    # A group chat named by its members (Sendblue finds or creates it).
    members: list[str] = field(default_factory=list)
    content: str | None = None
    media_url: str | None = None
    send_style: SendStyle | None = None
    reply_to: str | None = None

    def addressed(self, line: str) -> list[Addressed]:
        """Return the message once for each recipient and group, from line."""
        one = Addressed(
            line=line,
            content=self.content,
            media_url=self.media_url,
            send_style=self.send_style,
            reply_to=self.reply_to,
        )
        messages = [replace(one, to=to) for to in self.recipients]
        messages += [replace(one, group_id=group) for group in self.groups]
        if self.members:
            messages.append(replace(one, members=tuple(self.members)))
        return messages


async def async_send(
    hass: HomeAssistant,
    entry: SendblueConfigEntry,
    outgoing: Outgoing,
    *,
    line: str,
    retry_for: timedelta | None = None,
) -> list[dict[str, Any]]:
    """Send to every recipient and group at once; one failure stops no other.

    A send that fails for a reason that heals is queued in the outbox for
    retry_for (None: the entry's option; 0: not at all), and its result says
    "queued" with the outbox id. Raises the translated error when every
    recipient failed without being queued, so a plain automation notices;
    otherwise each result says whether it went out.
    """
    runtime = entry.runtime_data
    keep = retry_for_option(entry.options) if retry_for is None else retry_for
    results = await asyncio.gather(
        *(
            runtime.outbox.async_send(message, retry_for=keep)
            for message in outgoing.addressed(line)
        )
    )
    errors = [r["error"] for r in results if "error" in r]
    if auth := next(
        (err for err in errors if isinstance(err, SendblueAuthenticationError)), None
    ):
        start_reauth(hass, entry, auth)
    if errors and len(errors) == len(results):
        raise ha_error(errors[0]) from errors[0]
    went_out = any("error" not in r and "outbox_id" not in r for r in results)
    if went_out and not runtime.coordinator.last_update_success:
        # Sendblue answers again: do not wait for the next poll to say so.
        await runtime.coordinator.async_request_refresh()
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
        raise invalid("media_too_large", max=MAX_UPLOAD_TEXT)
    uploaded = await entry.runtime_data.client.upload_file(
        data=data, filename=filename, content_type=content_type
    )
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
                raise invalid("media_too_large", max=MAX_UPLOAD_TEXT)
            data = await response.read()
    except (aiohttp.ClientError, TimeoutError) as err:
        raise invalid("media_not_found", media=media_content_id) from err
    name = Path(resolved.url.split("?", 1)[0]).name or "media"
    return data, name, resolved.mime_type
