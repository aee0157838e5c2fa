"""The live event stream GET /api/v2/events (§11.8) and its control switches."""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sendblue_simulator import ManualClock, Simulator, start_simulator

from .sse import EVENTS, SSE, EventReader, Frame, open_stream

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"
START = "2026-01-01T12:00:00.000Z"
MINIMAL_KEYS = {
    "message_handle",
    "status",
    "is_outbound",
    "sendblue_number",
    "number",
    "date_updated",
}


async def send(api: aiohttp.ClientSession, content: str = "x") -> dict[str, Any]:
    """Send one message and return the answer."""
    body = {"number": CONTACT, "from_number": LINE_1, "content": content}
    async with api.post("/api/send-message", json=body) as resp:
        assert resp.status == 200
        answer: dict[str, Any] = await resp.json()
        return answer


async def post(
    http: aiohttp.ClientSession, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    """POST JSON to the control API; return status and answer."""
    async with http.post(path, json=body or {}) as resp:
        return resp.status, await resp.json()


async def test_frames_ids_and_headers(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Each state change is one frame with a stable, increasing id."""
    control = sendblue_simulator.control
    async with open_stream(api) as stream:
        response = stream.response
        assert response.headers["Content-Type"] == SSE
        assert response.headers["Cache-Control"] == "no-cache"
        (entry,) = control.requests()
        assert (entry["path"], entry["status"]) == (EVENTS, 200)
        inbound = control.inject_inbound(from_number=CONTACT, content="hi")
        received = await stream.event()
        assert received == {
            "id": "evt_000001",
            "type": "message.received",
            "occurred_at": START,
            "data": {
                "message_handle": inbound["message_handle"],
                "status": "RECEIVED",
                "is_outbound": False,
                "sendblue_number": LINE_1,
                "number": CONTACT,
                "date_updated": START,
            },
            "version": 1,
        }
        sent = await send(api)
        await control.advance(1)
        events = [await stream.event() for _ in range(3)]
    assert [(e["id"], e["type"], e["data"]["status"]) for e in events] == [
        ("evt_000002", "message.created", "QUEUED"),
        ("evt_000003", "message.updated", "SENT"),
        ("evt_000004", "message.updated", "DELIVERED"),
    ]
    assert {e["data"]["message_handle"] for e in events} == {sent["message_handle"]}
    async with api.get(f"/api/v2/messages/{sent['message_handle']}") as resp:
        assert (await resp.json())["data"]["status"] == "DELIVERED"
    assert control.events()["events_emitted"] == 4


async def test_types_filter(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Only the listed types are sent; ids still count every event."""
    control = sendblue_simulator.control
    params = {"types": "typing.changed, message.received,"}
    async with open_stream(api, params=params) as stream:
        (described,) = control.events()["streams"]
        assert described["types"] == ["message.received", "typing.changed"]
        await send(api)
        await control.advance(0)
        control.inject_typing(from_number=CONTACT, is_typing=True)
        typing = await stream.event()
        control.inject_inbound(from_number=CONTACT, content="hi")
        received = await stream.event()
    assert (typing["id"], typing["type"]) == ("evt_000004", "typing.changed")
    assert typing["data"] == {
        "number": CONTACT,
        "from_number": LINE_1,
        "is_typing": True,
        "timestamp": START,
    }
    assert (received["id"], received["type"]) == ("evt_000005", "message.received")
    assert (await control.wait_for_streams(0))["streams"] == []


async def test_an_empty_types_list_means_every_type(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """types= with no names filters nothing."""
    async with open_stream(api, params={"types": " , "}) as stream:
        assert sendblue_simulator.control.events()["streams"][0]["types"] is None
        sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="hi")
        assert (await stream.event())["type"] == "message.received"


@pytest.mark.parametrize(
    ("headers", "params", "status", "code"),
    [
        ({"Accept": SSE, "sb-api-secret-key": ""}, {}, 401, "UNAUTHORIZED"),
        ({"Accept": "application/json"}, {}, 406, "NOT_ACCEPTABLE"),
        ({}, {}, 406, "NOT_ACCEPTABLE"),
        ({"Accept": SSE}, {"types": "message.received,thing"}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_refusals(
    api: aiohttp.ClientSession,
    headers: dict[str, str],
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    """Missing keys 401, no text/event-stream 406, unknown type 400."""
    async with api.get(EVENTS, headers=headers, params=params) as resp:
        assert resp.status == status
        body = await resp.json()
    assert (body["status"], body["error_code"]) == ("ERROR", code)


async def test_both_keys_are_needed(sendblue_simulator: Simulator) -> None:
    """Only one of the key headers is a 401 too."""
    headers = {"Accept": SSE, "sb-api-key-id": sendblue_simulator.api_key_id}
    async with (
        aiohttp.ClientSession(base_url=sendblue_simulator.base_url) as http,
        http.get(EVENTS, headers=headers) as resp,
    ):
        assert resp.status == 401


async def test_unavailable_answers_404(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """available: false is an account without the stream; true brings it back."""
    status, settings = await post(
        raw_http, "/_sim/events/settings", {"available": False}
    )
    assert (status, settings["available"]) == (200, False)
    async with api.get(EVENTS, headers={"Accept": SSE}) as resp:
        assert resp.status == 404
        assert await resp.json() == {
            "status": "ERROR",
            "message": f"Cannot GET {EVENTS}",
        }
    sendblue_simulator.control.configure_events(available=True)
    async with open_stream(api):
        pass


async def test_heartbeats_and_rotation_follow_the_manual_clock(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A heartbeat every 15 s; the server ends the stream at 900 s."""
    control = sendblue_simulator.control
    settings = control.events()
    assert (settings["heartbeat_seconds"], settings["rotate_seconds"]) == (15, 900)
    async with open_stream(api) as stream:
        await control.advance(14.9)
        control.inject_inbound(from_number=CONTACT, content="before")
        assert (await stream.event())["data"]["status"] == "RECEIVED"
        await control.advance(0.1)
        frame = await stream.frame()
        assert frame is not None
        assert frame.is_heartbeat
        await control.advance(885)
        rest = await stream.end()
    assert len(rest) == 58
    assert all(frame.is_heartbeat for frame in rest)
    assert control.events()["open_streams"] == 0


async def test_settings_apply_to_streams_opened_next(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """Configured heartbeat and rotation times hold for the streams opened later."""
    control = sendblue_simulator.control
    status, _ = await post(
        raw_http,
        "/_sim/events/settings",
        {"heartbeat_seconds": 10, "rotate_seconds": 35},
    )
    assert status == 200
    async with open_stream(api) as stream:
        control.configure_events(heartbeat_seconds=1)
        await control.advance(35)
        frames = await stream.end()
    assert [frame.is_heartbeat for frame in frames] == [True] * 3


async def test_run_until_idle_ignores_open_streams(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Streams never go idle, so run_until_idle stops when the real work is done."""
    control = sendblue_simulator.control
    control.set_latency(1000)
    async with open_stream(api) as stream:
        await send(api)
        await control.run_until_idle()
        statuses = [(await stream.event())["data"]["status"] for _ in range(3)]
        assert statuses == ["QUEUED", "SENT", "DELIVERED"]
        assert control.now() == "2026-01-01T12:00:02.000Z"
        (described,) = control.events()["streams"]
        assert described["heartbeats_sent"] == 0


@pytest.mark.parametrize("shape", ["minimal", "full", "ids"])
async def test_data_shapes(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    shape: str,
) -> None:
    """Message data follows the shape; other types look the same in every shape."""
    control = sendblue_simulator.control
    status, settings = await post(
        raw_http, "/_sim/events/settings", {"data_shape": shape}
    )
    assert (status, settings["data_shape"]) == (200, shape)
    async with open_stream(api) as stream:
        sent = await send(api)
        await control.advance(0)
        events = [await stream.event() for _ in range(3)]
        control.inject_typing(from_number=CONTACT, is_typing=False)
        typing = await stream.event()
    async with api.get(f"/api/v2/messages/{sent['message_handle']}") as resp:
        record = (await resp.json())["data"]
    delivered = events[-1]["data"]
    match shape:
        case "full":
            assert delivered == record
        case "ids":
            assert delivered == {"message_handle": sent["message_handle"]}
        case _:
            assert delivered == {key: record[key] for key in MINIMAL_KEYS}
    assert typing["data"] == {
        "number": CONTACT,
        "from_number": LINE_1,
        "is_typing": False,
        "timestamp": START,
    }


async def test_line_and_contact_events(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """Line status changes, assigned lines and created contacts are events."""
    control = sendblue_simulator.control
    async with open_stream(api) as stream:
        for status in ("OFFLINE", "OFFLINE", "ONLINE"):
            code, _ = await post(
                raw_http, f"/_sim/lines/{LINE_2}/status", {"status": status}
            )
            assert code == 200
        changes = [await stream.event() for _ in range(2)]
        async with api.post("/api/v2/contacts", json={"number": CONTACT}) as resp:
            contact = (await resp.json())["contact"]
        created = await stream.event()
        ticket_body = {"line_request_type": "phone", "desired_area_code": "415"}
        async with api.post("/accounts/lines/add-line", json=ticket_body) as resp:
            ticket = (await resp.json())["data"]
        control.fulfill_line_request(ticket["id"], "+14155550123")
        assigned = await stream.event()
        async with api.post("/accounts/lines/provision-preview") as resp:
            token = (await resp.json())["preview_token"]
        confirm = {"preview_token": token}
        async with api.post("/accounts/lines/provision-confirm", json=confirm) as resp:
            provisioned = (await resp.json())["phone_number"]
        confirmed = await stream.event()
    assert [(e["type"], e["data"]) for e in changes] == [
        (
            "line.status.changed",
            {
                "sendblue_number": LINE_2,
                "status": status,
                "previous_status": previous,
                "status_changed_at": START,
            },
        )
        for previous, status in (("ONLINE", "OFFLINE"), ("OFFLINE", "ONLINE"))
    ]
    assert (created["type"], created["data"]) == (
        "contact.created",
        {"phone": CONTACT, "contact_id": contact["contact_id"], "created_at": START},
    )
    assert (assigned["type"], assigned["data"]) == (
        "line.assigned",
        {"sendblue_number": "+14155550123"},
    )
    assert confirmed["data"] == {"sendblue_number": provisioned}


async def test_drop_ends_every_stream_and_nothing_is_replayed(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """Drop ends the streams; events meanwhile are lost, Last-Event-ID or not."""
    control = sendblue_simulator.control
    async with open_stream(api) as first, open_stream(api) as second:
        assert control.events()["open_streams"] == 2
        status, answer = await post(raw_http, "/_sim/events/drop")
        assert (status, answer) == (200, {"streams": 2})
        assert await first.end() == []
        assert await second.end() == []
    assert control.events()["open_streams"] == 0
    control.inject_inbound(from_number=CONTACT, content="missed")
    headers = {"Last-Event-ID": "evt_000000"}
    async with open_stream(api, headers=headers) as again:
        control.inject_inbound(from_number=CONTACT, content="live")
        event = await again.event()
    assert event["id"] == "evt_000002"
    assert control.events()["streams_opened"] == 3


async def test_stall_sends_nothing_until_resumed(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """A stalled stream stays open, silent; events meanwhile are lost for it."""
    control = sendblue_simulator.control
    async with open_stream(api) as stream:
        status, answer = await post(raw_http, "/_sim/events/stall")
        assert (status, answer) == (200, {"streams": 1})
        control.inject_inbound(from_number=CONTACT, content="lost")
        await control.advance(2000)
        (described,) = control.events()["streams"]
        assert described["stalled"]
        assert (described["events_sent"], described["heartbeats_sent"]) == (0, 0)
        async with open_stream(api) as fresh:
            control.inject_inbound(from_number=CONTACT, content="fresh")
            assert (await fresh.event())["id"] == "evt_000002"
            status, answer = await post(raw_http, "/_sim/events/resume")
            assert (status, answer) == (200, {"streams": 1})
        # It outlived its rotation while stalled, so resuming ends it.
        assert await stream.end() == []


async def test_a_resumed_stream_carries_on(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """After resume, heartbeats and events flow again on the same stream."""
    control = sendblue_simulator.control
    async with open_stream(api) as stream:
        control.stall_streams()
        control.inject_inbound(from_number=CONTACT, content="lost")
        await control.advance(20)
        assert control.resume_streams() == 1
        await control.advance(10)
        frame = await stream.frame()
        assert frame is not None
        assert frame.is_heartbeat
        control.inject_inbound(from_number=CONTACT, content="heard")
        assert (await stream.event())["id"] == "evt_000002"


async def raw_frame(stream: EventReader) -> Frame:
    """Return the next frame, which must exist."""
    frame = await stream.frame()
    assert frame is not None
    return frame


async def test_malformed_frames(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """Each kind of bad frame reaches every open stream."""
    control = sendblue_simulator.control
    async with open_stream(api) as stream:
        status, answer = await post(
            raw_http, "/_sim/events/malformed", {"kind": "invalid_json"}
        )
        assert (status, answer) == (200, {"streams": 1})
        invalid = await raw_frame(stream)
        with pytest.raises(json.JSONDecodeError):
            _ = invalid.data
        assert invalid.one("id") is None

        control.send_malformed("missing_id")
        missing = await raw_frame(stream)
        assert missing.one("id") is None
        assert "id" not in missing.data
        assert missing.data["type"] == "message.received"

        control.send_malformed("oversized")
        oversized = await raw_frame(stream)
        (line,) = oversized.values("data")
        assert len(line) > 1024 * 1024

        control.send_malformed("unknown_type")
        unknown = await stream.event()
        assert (unknown["id"], unknown["type"]) == ("evt_000001", "thing.happened")

        control.send_malformed("multiline")
        control.inject_inbound(from_number=CONTACT, content="split")
        split = await raw_frame(stream)
        control.inject_inbound(from_number=CONTACT, content="whole")
        whole = await raw_frame(stream)
    assert len(split.values("data")) > 1
    assert len(whole.values("data")) == 1
    assert split.data["id"] == split.one("id") == "evt_000002"
    assert split.data["type"] == "message.received"
    assert set(split.data["data"]) == MINIMAL_KEYS


async def test_malformed_kind_is_checked(raw_http: aiohttp.ClientSession) -> None:
    """An unknown kind is a 400."""
    status, answer = await post(raw_http, "/_sim/events/malformed", {"kind": "bad"})
    assert status == 400
    assert "not a valid MalformedKind" in answer["message"]


async def test_wait_for_streams(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """Wait until a client has connected, over Python and HTTP; time out otherwise."""
    control = sendblue_simulator.control
    waiting = asyncio.create_task(control.wait_for_streams(1))
    async with open_stream(api):
        assert (await waiting)["open_streams"] == 1
        status, answer = await post(raw_http, "/_sim/events/wait", {"count": 1})
        assert (status, answer["open_streams"]) == (200, 1)
        status, answer = await post(
            raw_http, "/_sim/events/wait", {"count": 2, "max_wait": 0.01}
        )
        assert status == 504
        with pytest.raises(TimeoutError):
            await control.wait_for_streams(0, max_wait=0.01)
    status, _ = await post(raw_http, "/_sim/events/wait", {"count": -1})
    assert status == 400


async def test_a_client_that_leaves_closes_its_stream(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """The server notices at once, without waiting for a heartbeat to fail."""
    control = sendblue_simulator.control
    async with open_stream(api):
        pass
    await control.wait_for_streams(0)


async def test_reset_closes_streams_and_keeps_ids_increasing(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Reset ends open streams and restores the settings; ids are never reused."""
    control = sendblue_simulator.control
    control.configure_events(data_shape="ids", heartbeat_seconds=5)
    async with open_stream(api) as stream:
        control.inject_inbound(from_number=CONTACT, content="one")
        assert (await stream.event())["id"] == "evt_000001"
        control.reset()
        assert await stream.end() == []
    assert control.events()["data_shape"] == "minimal"
    assert control.events()["heartbeat_seconds"] == 15
    async with open_stream(api) as stream:
        control.inject_inbound(from_number=CONTACT, content="two")
        assert (await stream.event())["id"] == "evt_000002"


@pytest.mark.parametrize(
    "body",
    [
        {"heartbeat_seconds": 0},
        {"rotate_seconds": -1},
        {"heartbeat_seconds": True},
        {"data_shape": "everything"},
        {"available": "no"},
    ],
)
async def test_event_settings_are_checked(
    raw_http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    """Bad settings are refused and change nothing."""
    status, _ = await post(raw_http, "/_sim/events/settings", body)
    assert status == 400
    async with raw_http.get("/_sim/state/events") as resp:
        events = await resp.json()
    assert events == {
        "heartbeat_seconds": 15.0,
        "rotate_seconds": 900.0,
        "data_shape": "minimal",
        "available": True,
        "open_streams": 0,
        "streams_opened": 0,
        "events_emitted": 0,
        "last_event_id": None,
        "streams": [],
    }


async def test_configured_defaults_and_real_clock_heartbeats() -> None:
    """SimulatorConfig sets the defaults; on the real clock heartbeats just come."""
    async with start_simulator(
        event_heartbeat_s=0.01, event_rotate_s=60, event_data_shape="full"
    ) as sim:
        headers = {
            "sb-api-key-id": sim.api_key_id,
            "sb-api-secret-key": sim.api_secret_key,
        }
        async with (
            aiohttp.ClientSession(base_url=sim.base_url, headers=headers) as api,
            open_stream(api) as stream,
        ):
            frame = await stream.frame()
            assert frame is not None
            assert frame.is_heartbeat
        assert sim.control.events()["data_shape"] == "full"


async def test_stop_ends_open_streams() -> None:
    """Stopping the simulator ends a stream at once instead of holding shutdown."""
    async with start_simulator(clock=ManualClock()) as sim:
        headers = {
            "sb-api-key-id": sim.api_key_id,
            "sb-api-secret-key": sim.api_secret_key,
        }
        async with (
            aiohttp.ClientSession(base_url=sim.base_url, headers=headers) as api,
            open_stream(api) as stream,
        ):
            await sim.stop()
            assert await stream.end() == []
