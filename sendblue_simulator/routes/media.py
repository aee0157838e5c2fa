"""Uploads (§6) and the simulator's own media server (`GET /media/{id}`)."""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from sendblue_simulator.errors import ApiError, fail, is_url
from sendblue_simulator.http import ok, read_body, state_of
from sendblue_simulator.models import Upload
from sendblue_simulator.state import SimulatorState

CHUNK = 64 * 1024
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def media_url(request: web.Request, state: SimulatorState, media_id: str = "") -> str:
    """Return the public URL under which /media/{media_id} is served."""
    base = state.config.public_url or str(request.url.origin())
    return f"{base}/media/{media_id}"


async def read_upload(request: web.Request, state: SimulatorState) -> Upload:
    """Store the multipart field `file` (at most max_upload_bytes)."""
    if not request.content_type.startswith("multipart/"):
        fail(400, "Content-Type must be multipart/form-data with a `file` field")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            continue
        filename = SAFE_NAME.sub("_", unquote(part.filename or "file")) or "file"
        data = bytearray()
        while chunk := await part.read_chunk(CHUNK):
            data.extend(chunk)
            if len(data) > state.config.max_upload_bytes:
                limit_mb = state.config.max_upload_bytes / (1024 * 1024)
                raise ApiError(
                    413,
                    {
                        "status": "ERROR",
                        "message": f"File too large. Maximum size is {limit_mb:g}MB",
                    },
                )
        content_type = part.headers.get("Content-Type") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        upload = Upload(
            media_object_id=f"{state.new_hex()}_{filename}",
            filename=filename,
            content_type=content_type,
            data=bytes(data),
            created_at=state.clock.now(),
        )
        state.uploads[upload.media_object_id] = upload
        if (entry := request.get("log_entry")) is not None:
            entry["upload"] = {
                "field": "file",
                "filename": filename,
                "size": len(data),
                "content_type": content_type,
            }
        return upload
    raise ApiError(
        400,
        {
            "status": "ERROR",
            "message": "No file uploaded: send a multipart field `file`",
        },
    )


async def upload_file(request: web.Request) -> web.Response:
    """POST /api/upload-file (multipart `file`) → 201 with a media_url we serve."""
    state = state_of(request)
    upload = await read_upload(request, state)
    return ok(
        {
            "status": "OK",
            "message": "File uploaded successfully",
            "media_url": media_url(request, state, upload.media_object_id),
            "mediaObjectId": upload.media_object_id,
        },
        status=201,
    )


async def upload_media_object(request: web.Request) -> web.Response:
    """POST /api/upload-media-object {media_url} → 201 (recorded, not fetched)."""
    state = state_of(request)
    body = await read_body(request)
    source = body.get("media_url")
    if not is_url(source):
        fail(400, "Invalid media URL")
    path = str(source).split("?", 1)[0]
    extension = (
        path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else "bin"
    )
    object_id = f"MO_{state.new_hex(24)}.{extension}"
    own_prefix = media_url(request, state)
    copied = (
        state.uploads.get(str(source).removeprefix(own_prefix))
        if str(source).startswith(own_prefix)
        else None
    )
    state.uploads[object_id] = Upload(
        media_object_id=object_id,
        filename=path.rsplit("/", 1)[-1] or object_id,
        content_type=copied.content_type
        if copied
        else mimetypes.guess_type(path)[0] or "application/octet-stream",
        data=copied.data if copied else None,
        created_at=state.clock.now(),
        source_url=str(source),
    )
    return ok(
        {
            "status": "OK",
            "message": "File uploaded successfully",
            "mediaObjectId": object_id,
        },
        status=201,
    )


async def serve_media(request: web.Request) -> web.Response:
    """GET /media/{media_id}: the bytes with their content type (public, like a CDN)."""
    upload = state_of(request).uploads.get(request.match_info["media_id"])
    if upload is None or upload.data is None:
        raise web.HTTPNotFound
    return web.Response(body=upload.data, content_type=upload.content_type)


def setup(app: web.Application) -> None:
    """Register the media routes."""
    app.router.add_post("/api/upload-file", upload_file)
    app.router.add_post("/api/upload-media-object", upload_media_object)
    app.router.add_get("/media/{media_id}", serve_media)
