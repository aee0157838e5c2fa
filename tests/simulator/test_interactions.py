"""Reactions, read receipts and typing indicators."""

from typing import Any

import aiohttp
import pytest

from sendblue_simulator import Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
CONTACT = "+15550000002"
NO_ROUTE = "No route mapping found for number, have you messaged them before?"


async def post(api: aiohttp.ClientSession, path: str, body: object) -> tuple[int, Any]:
    """POST JSON and return status and JSON body."""
    async with api.post(path, json=body) as resp:
        return resp.status, await resp.json()


async def test_reaction_happy_path(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A reaction to an inbound message is recorded."""
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, content="hi"
    )
    body = {
        "from_number": LINE_1,
        "message_handle": inbound["message_handle"],
        "reaction": "love",
    }
    status, answer = await post(api, "/api/send-reaction", body)
    assert status == 200
    assert answer == {
        "status": "OK",
        "message": "Reaction request sent",
        "message_handle": inbound["message_handle"],
        "reaction": "love",
    }
    reactions = sendblue_simulator.control.reactions()
    assert reactions == [
        {
            "from_number": LINE_1,
            "message_handle": inbound["message_handle"],
            "reaction": "love",
            "part_index": 0,
            "at": "2026-01-01T12:00:00.000Z",
        }
    ]
    status, _ = await post(api, "/api/send-reaction", {**body, "part_index": 2})
    assert status == 200
    assert sendblue_simulator.control.reactions()[1]["part_index"] == 2


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (
            {"from_number": None},
            400,
            "You must specify a valid `from_number` in the request body.",
        ),
        (
            {"from_number": "5125550101"},
            400,
            "You must specify a valid `from_number` in the request body.",
        ),
        (
            {"message_handle": None},
            400,
            "You must specify `message_handle` in the request body.",
        ),
        (
            {"reaction": "heart"},
            400,
            (
                "Invalid reaction. Must be one of: "
                "love, like, dislike, laugh, emphasize, question"
            ),
        ),
        ({"part_index": -1}, 400, "`part_index` must be a non-negative integer."),
        ({"part_index": "1"}, 400, "`part_index` must be a non-negative integer."),
        ({"from_number": "+19998887777"}, 400, "The from_number is not registered"),
        ({"message_handle": "unknown"}, 404, "Message not found"),
    ],
)
async def test_reaction_errors(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    change: dict[str, Any],
    status: int,
    message: str,
) -> None:
    """The documented reaction errors, in the legacy envelope."""
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, content="hi"
    )
    body = {
        "from_number": LINE_1,
        "message_handle": inbound["message_handle"],
        "reaction": "like",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    assert await post(api, "/api/send-reaction", body) == (
        status,
        {"status": "ERROR", "message": message},
    )
    assert sendblue_simulator.control.reactions() == []


async def test_mark_read(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Mark-read needs a conversation; errors use the documented wording."""
    body = {"number": CONTACT, "from_number": LINE_1}
    assert await post(api, "/api/mark-read", body) == (
        400,
        {"status": "ERROR", "message": NO_ROUTE},
    )
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="hi")
    assert await post(api, "/api/mark-read", body) == (
        200,
        {"status": "OK", "message": "Mark read request sent", "number": CONTACT},
    )
    assert sendblue_simulator.control.read_receipts()[0]["number"] == CONTACT
    errors = [
        ({"from_number": LINE_1}, "You must specify a `number` in the request body."),
        (
            {"number": CONTACT},
            "You must specify a valid `from_number` in the request body.",
        ),
        (
            {"number": CONTACT, "from_number": "+19998887777"},
            "The from_number is not registered",
        ),
    ]
    for bad, message in errors:
        assert await post(api, "/api/mark-read", bad) == (
            400,
            {"status": "ERROR", "message": message},
        )


async def test_typing_indicator(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Typing needs a conversation ("No route mapping" otherwise)."""
    body = {"number": CONTACT, "from_number": LINE_1}
    assert await post(api, "/api/send-typing-indicator", body) == (
        400,
        {
            "status": "ERROR",
            "status_code": 400,
            "error_message": NO_ROUTE,
            "number": CONTACT,
        },
    )
    await post(api, "/api/send-message", {**body, "content": "hello"})
    assert await post(api, "/api/send-typing-indicator", body) == (
        200,
        {
            "status": "QUEUED",
            "status_code": 200,
            "error_message": None,
            "number": CONTACT,
        },
    )
    status, _ = await post(
        api,
        "/api/send-typing-indicator",
        {**body, "state": "stop", "max_duration_ms": 300000},
    )
    assert status == 200
    sent = sendblue_simulator.control.typing_indicators()
    assert [(t["state"], t["max_duration_ms"]) for t in sent] == [
        ("start", 60000),
        ("stop", 300000),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number": "555"}, "You must specify a valid `number` in the request body."),
        (
            {"from_number": None},
            "You must specify a valid `from_number` in the request body.",
        ),
        ({"from_number": "+19998887777"}, "The from_number is not registered"),
        ({"state": "pause"}, "Invalid state. Must be one of: start, stop"),
        (
            {"max_duration_ms": 0},
            "`max_duration_ms` must be an integer between 1 and 300000.",
        ),
        (
            {"max_duration_ms": 300001},
            "`max_duration_ms` must be an integer between 1 and 300000.",
        ),
    ],
)
async def test_typing_indicator_errors(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    change: dict[str, Any],
    message: str,
) -> None:
    """Typing errors use the typing endpoint's own envelope."""
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="hi")
    body = {
        k: v
        for k, v in {"number": CONTACT, "from_number": LINE_1, **change}.items()
        if v is not None
    }
    status, answer = await post(api, "/api/send-typing-indicator", body)
    assert status == 400
    assert answer["status"] == "ERROR"
    assert answer["status_code"] == 400
    assert answer["error_message"] == message
    assert sendblue_simulator.control.typing_indicators() == []
