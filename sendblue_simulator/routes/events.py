"""The live event stream: GET /api/v2/events (Server-Sent Events, §11.8)."""

from __future__ import annotations

from aiohttp import web

from sendblue_simulator.errors import fail_v2
from sendblue_simulator.events import EVENT_TYPES
from sendblue_simulator.http import state_of

EVENTS_PATH = "/api/v2/events"
EVENT_STREAM = "text/event-stream"


def _types(raw: str | None) -> list[str] | None:
    """Parse the `types` allowlist (None: every type)."""
    if raw is None:
        return None
    types = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in types if name not in EVENT_TYPES]
    if unknown:
        known = ", ".join(EVENT_TYPES)
        fail_v2(400, f"Unknown event type {unknown[0]}. Must be one of: {known}")
    return types or None


async def stream_events(request: web.Request) -> web.StreamResponse:
    """GET /api/v2/events: live events until the stream rotates or is dropped."""
    state = state_of(request)
    hub = state.events
    if not hub.settings.available:
        raise web.HTTPNotFound
    if EVENT_STREAM not in request.headers.get("Accept", ""):
        fail_v2(406, f"This endpoint only serves {EVENT_STREAM}")
    types = _types(request.query.get("types"))
    response = web.StreamResponse(
        headers={"Content-Type": EVENT_STREAM, "Cache-Control": "no-cache"}
    )
    # Registered before the headers go out: a client that sees 200 misses nothing.
    stream = hub.open(types)
    try:
        await response.prepare(request)
        if (entry := request.get("log_entry")) is not None:
            entry["status"] = response.status
        while (frame := await stream.next_frame()) is not None:
            await response.write(frame)
    except ConnectionError:
        # The client went away; the next write is where a server finds out.
        return response
    finally:
        hub.close(stream)
    response.force_close()
    return response


def setup(app: web.Application) -> None:
    """Register the event stream route."""
    app.router.add_get(EVENTS_PATH, stream_events)
