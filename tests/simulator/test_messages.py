"""Sends, groups, status, lookup, listing and soft delete."""

from typing import Any

import aiohttp
import pytest

from sendblue_simulator import Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
IMESSAGE = "+15550000002"  # even last digit → iMessage
SMS = "+15550000003"  # odd last digit → SMS
SEND_SAMPLE_KEYS = [
    "accountEmail",
    "content",
    "is_outbound",
    "status",
    "error_code",
    "error_message",
    "message_handle",
    "date_sent",
    "date_updated",
    "from_number",
    "number",
    "to_number",
    "was_downgraded",
    "plan",
    "media_url",
    "message_type",
    "group_id",
    "participants",
    "send_style",
    "opted_out",
    "error_detail",
]
GROUP_SAMPLE_KEYS = SEND_SAMPLE_KEYS[:17]
BAD_STYLE = (
    "Invalid send_style. Must be one of: celebration, shooting_star, fireworks, "
    "lasers, love, confetti, balloons, spotlight, echo, invisible, gentle, loud, slam"
)


async def post(api: aiohttp.ClientSession, path: str, body: object) -> tuple[int, Any]:
    """POST JSON and return status and JSON body."""
    async with api.post(path, json=body) as resp:
        return resp.status, await resp.json()


async def get(
    api: aiohttp.ClientSession, path: str, **params: str | int
) -> tuple[int, Any]:
    """GET with query parameters and return status and JSON body."""
    async with api.get(path, params=params) as resp:
        return resp.status, await resp.json()


async def test_send_message_matches_the_documented_sample(
    api: aiohttp.ClientSession,
) -> None:
    """Same keys, order and value types as the §1.1 sample response."""
    status, body = await post(
        api,
        "/api/send-message",
        {
            "number": IMESSAGE,
            "from_number": LINE_1,
            "content": "Hello world!",
            "send_style": "invisible",
        },
    )
    assert status == 200
    assert list(body) == SEND_SAMPLE_KEYS
    assert body["accountEmail"] == "demo@example.com"
    assert body["status"] == "QUEUED"
    assert body["is_outbound"] is True
    assert body["error_code"] is None
    assert body["number"] == body["to_number"] == IMESSAGE
    assert body["from_number"] == LINE_1
    assert body["was_downgraded"] is None
    assert body["plan"] == "dedicated"
    assert body["media_url"] == ""
    assert body["message_type"] == "message"
    assert body["group_id"] == ""
    assert body["participants"] == []
    assert body["send_style"] == "invisible"
    assert body["opted_out"] is False
    assert body["date_sent"] == "2026-01-01T12:00:00.000Z"


async def test_send_accepts_media_only_email_and_camelcase_callback(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Media without content, iMessage emails, and the legacy statusCallback."""
    status, body = await post(
        api,
        "/api/send-message",
        {
            "number": "friend@icloud.com",
            "from_number": LINE_2,
            "media_url": "https://cdn.example.com/a.png",
            "statusCallback": "http://127.0.0.1:9/cb",
        },
    )
    assert status == 200
    assert body["content"] == ""
    assert body["media_url"] == "https://cdn.example.com/a.png"
    record = sendblue_simulator.control.message(body["message_handle"])
    assert record["status_callback"] == "http://127.0.0.1:9/cb"
    assert record["service"] == "iMessage"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"from_number": LINE_1, "content": "x"},
            "You must specify a valid `number` in the request body.",
        ),
        (
            {"number": "5551234567", "from_number": LINE_1, "content": "x"},
            "You must specify a valid `number` in the request body.",
        ),
        (
            {"number": IMESSAGE, "content": "x"},
            "You must specify a valid `from_number` in the request body.",
        ),
        (
            {"number": IMESSAGE, "from_number": "+19998887777", "content": "x"},
            "The from_number is not registered",
        ),
        (
            {"number": IMESSAGE, "from_number": LINE_1},
            "You must specify `content` or `media_url` in the request body.",
        ),
        (
            {"number": IMESSAGE, "from_number": LINE_1, "content": ""},
            "You must specify `content` or `media_url` in the request body.",
        ),
        (
            {"number": IMESSAGE, "from_number": LINE_1, "content": "x" * 18996},
            "`content` must be fewer than 18996 characters.",
        ),
        (
            {
                "number": IMESSAGE,
                "from_number": LINE_1,
                "content": "x",
                "send_style": "wobble",
            },
            BAD_STYLE,
        ),
        (
            {"number": IMESSAGE, "from_number": LINE_1, "media_url": "not a url"},
            "`media_url` must be a valid URL.",
        ),
        (
            {
                "number": IMESSAGE,
                "from_number": LINE_1,
                "content": "x",
                "status_callback": "nope",
            },
            "`status_callback` must be a valid URL.",
        ),
        (
            {
                "number": IMESSAGE,
                "from_number": LINE_1,
                "content": "x",
                "seat_id": "nope",
            },
            "Seat not found",
        ),
        (
            {
                "number": IMESSAGE,
                "from_number": LINE_1,
                "content": "x",
                "reply_to": {"message_handle": "nope"},
            },
            "The reply_to target must be in the same conversation and sending line.",
        ),
        (
            {
                "number": IMESSAGE,
                "from_number": LINE_1,
                "content": "x",
                "app_card": {"url": "https://x"},
            },
            "App Cards require a V2 Mac line",
        ),
    ],
)
async def test_send_message_validation(
    api: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    """Each documented validation answers 400 with the legacy envelope."""
    status, answer = await post(api, "/api/send-message", body)
    assert status == 400
    assert answer == {"status": "ERROR", "message": message}


async def test_content_at_the_limit_is_accepted(api: aiohttp.ClientSession) -> None:
    """18,995 characters is the longest text (< 18,996)."""
    body = {"number": IMESSAGE, "from_number": LINE_1, "content": "x" * 18995}
    status, _ = await post(api, "/api/send-message", body)
    assert status == 200


async def test_invalid_json_body(api: aiohttp.ClientSession) -> None:
    """A malformed body is a 400, an array body too."""
    async with api.post(
        "/api/send-message", data=b"{", headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "Invalid JSON body"
    status, answer = await post(api, "/api/send-message", [1])
    assert status == 400
    assert answer["message"] == "Request body must be a JSON object"


async def test_form_encoded_send(api: aiohttp.ClientSession) -> None:
    """Legacy docs allow form-encoded bodies."""
    form = {"number": IMESSAGE, "from_number": LINE_1, "content": "form"}
    async with api.post("/api/send-message", data=form) as resp:
        assert resp.status == 200
        assert (await resp.json())["content"] == "form"


async def test_reply_to_and_seat(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Inline replies and seat attribution are echoed and stored."""
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=IMESSAGE, content="hi"
    )
    _, seats = await get(api, "/api/v2/seats")
    status, body = await post(
        api,
        "/api/send-message",
        {
            "number": IMESSAGE,
            "from_number": LINE_1,
            "content": "re",
            "reply_to": {"message_handle": inbound["message_handle"], "part_index": 0},
            "seat_id": seats[0]["seat_id"],
        },
    )
    assert status == 200
    assert body["reply_to"] == {
        "message_handle": inbound["message_handle"],
        "part_index": 0,
    }
    assert body["seat_id"] == seats[0]["seat_id"]
    assert body["sender_email"] == "agent@example.com"
    bad = {
        "number": IMESSAGE,
        "from_number": LINE_1,
        "content": "re",
        "reply_to": {"message_handle": inbound["message_handle"], "part_index": -1},
    }
    status, answer = await post(api, "/api/send-message", bad)
    assert status == 400
    assert answer["message"] == "`part_index` must be a non-negative integer."
    other_line = {
        "number": IMESSAGE,
        "from_number": LINE_2,
        "content": "re",
        "reply_to": {"message_handle": inbound["message_handle"]},
    }
    status, _ = await post(api, "/api/send-message", other_line)
    assert status == 400


async def test_group_send_creates_then_reuses_the_group(
    api: aiohttp.ClientSession,
) -> None:
    """Group responses follow the group sample: arrays and group_id."""
    body = {
        "numbers": [IMESSAGE, SMS],
        "from_number": LINE_1,
        "content": "Hello group!",
    }
    status, first = await post(api, "/api/send-group-message", body)
    assert status == 200
    assert list(first) == GROUP_SAMPLE_KEYS
    assert first["message_type"] == "group"
    assert first["number"] == first["to_number"] == [IMESSAGE, SMS]
    assert first["group_id"]
    _, again = await post(
        api, "/api/send-group-message", {**body, "numbers": [SMS, IMESSAGE, LINE_1]}
    )
    assert again["group_id"] == first["group_id"]
    by_id = {
        "group_id": first["group_id"],
        "from_number": LINE_1,
        "media_url": "https://cdn.example.com/x.jpg",
    }
    status, third = await post(api, "/api/send-group-message", by_id)
    assert status == 200
    assert third["group_id"] == first["group_id"]
    _, listed = await get(
        api, "/api/v2/messages", message_type="group", order_direction="asc"
    )
    record = listed["data"][0]
    assert record["participants"] == [IMESSAGE, SMS, LINE_1]
    assert record["service"] == "SMS"  # one member lacks iMessage


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"from_number": LINE_1, "content": "x"},
            "You must specify `numbers` or `group_id` in the request body.",
        ),
        (
            {"numbers": [IMESSAGE], "content": "x"},
            "You must specify a valid `from_number` in the request body.",
        ),
        (
            {"group_id": "nope", "from_number": LINE_1, "content": "x"},
            "Group not found",
        ),
        (
            {"numbers": ["555"], "from_number": LINE_1, "content": "x"},
            "`numbers` must contain E.164 phone numbers.",
        ),
        (
            {"numbers": "+15550000002", "from_number": LINE_1, "content": "x"},
            "`numbers` must be a non-empty array of E.164 phone numbers.",
        ),
        (
            {
                "numbers": [f"+1555000{i:04d}" for i in range(25)],
                "from_number": LINE_1,
                "content": "x",
            },
            "A group chat allows at most 25 people.",
        ),
        (
            {"numbers": [IMESSAGE], "from_number": LINE_1},
            "You must specify `content` or `media_url` in the request body.",
        ),
    ],
)
async def test_group_send_validation(
    api: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    """Group sends validate like Sendblue."""
    status, answer = await post(api, "/api/send-group-message", body)
    assert status == 400
    assert answer == {"status": "ERROR", "message": message}


async def test_create_and_modify_group(api: aiohttp.ClientSession) -> None:
    """create-group (INFERRED shape) and modify-group add/remove rules."""
    status, created = await post(
        api,
        "/api/create-group",
        {"from_number": LINE_1, "numbers": [IMESSAGE, SMS], "group_name": "Crew"},
    )
    assert status == 200
    assert created["status"] == "OK"
    assert created["numbers"] == [IMESSAGE, SMS]
    group_id = created["group_id"]
    change = {"group_id": group_id, "modify_type": "remove_recipient", "number": SMS}
    status, answer = await post(api, "/api/modify-group", change)
    assert status == 400
    assert answer["error"] == "group_too_small"
    status, added = await post(
        api,
        "/api/modify-group",
        {**change, "modify_type": "add_recipient", "number": "+15550000004"},
    )
    assert status == 200
    assert added == {
        "status": "OK",
        "error": None,
        "error_message": None,
        "group_id": group_id,
        "modify_type": "add_recipient",
        "number": "+15550000004",
    }
    status, _ = await post(api, "/api/modify-group", change)
    assert status == 200
    _, group = await get(api, f"/api/v2/groups/{group_id}")
    assert group["data"]["participant_numbers"] == [IMESSAGE, "+15550000004"]
    assert group["data"]["group_name"] == "Crew"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"group_id": "nope"}, "group_not_found"),
        ({"modify_type": "rename"}, "invalid_modify_type"),
        ({"number": "555"}, "invalid_number"),
        ({"from_number": LINE_2}, "line_not_registered"),
        ({"number": LINE_1}, "unsupported_target"),
        (
            {"modify_type": "remove_recipient", "number": "+15550000008"},
            "not_a_participant",
        ),
    ],
)
async def test_modify_group_errors(
    api: aiohttp.ClientSession, change: dict[str, Any], error: str
) -> None:
    """modify-group reports a stable `error` code."""
    _, created = await post(
        api, "/api/create-group", {"from_number": LINE_1, "numbers": [IMESSAGE, SMS]}
    )
    body = {
        "group_id": created["group_id"],
        "modify_type": "add_recipient",
        "number": "+15550000006",
        **change,
    }
    status, answer = await post(api, "/api/modify-group", body)
    assert status in {400, 404}
    assert answer["status"] == "ERROR"
    assert answer["error"] == error


async def test_v2_group_rename_and_photo(api: aiohttp.ClientSession) -> None:
    """Rename (null clears, whitespace rejected) and photo (URL or multipart)."""
    _, created = await post(
        api, "/api/create-group", {"from_number": LINE_1, "numbers": [IMESSAGE, SMS]}
    )
    path = f"/api/v2/groups/{created['group_id']}"
    status, renamed = await post(
        api, f"{path}/name", {"group_name": "Team", "from_number": LINE_1}
    )
    assert status == 200
    assert renamed == {
        "status": "OK",
        "data": {
            "from_number": LINE_1,
            "group_id": created["group_id"],
            "group_name": "Team",
        },
    }
    status, _ = await post(api, f"{path}/name", {"group_name": "   "})
    assert status == 400
    status, _ = await post(
        api, f"{path}/name", {"group_name": "x", "from_number": LINE_2}
    )
    assert status == 400
    status, cleared = await post(api, f"{path}/name", {"group_name": None})
    assert cleared["data"]["group_name"] == ""
    status, photo = await post(
        api, f"{path}/photo", {"photo_url": "https://cdn.example.com/p.jpg"}
    )
    assert status == 200
    assert photo["data"]["group_photo"]["url"] == "https://cdn.example.com/p.jpg"
    status, _ = await post(
        api, f"{path}/photo", {"photo_url": "http://insecure.example.com/p.jpg"}
    )
    assert status == 400
    form = aiohttp.FormData()
    form.add_field("file", b"\x89PNG", filename="p.png", content_type="image/png")
    async with api.post(f"{path}/photo", data=form) as resp:
        uploaded = await resp.json()
    assert uploaded["data"]["group_photo"]["url"].endswith("_p.png")
    status, none = await post(api, f"{path}/photo", {"photo_url": None})
    assert none["data"]["group_photo"] is None
    status, _ = await get(api, "/api/v2/groups/unknown")
    assert status == 404


async def test_status_and_evaluate_service(api: aiohttp.ClientSession) -> None:
    """/api/status by handle; evaluate-service's even-digit rule."""
    _, sent = await post(
        api, "/api/send-message", {"number": SMS, "from_number": LINE_1, "content": "x"}
    )
    status, body = await get(api, "/api/status", handle=sent["message_handle"])
    assert status == 200
    assert body["message_handle"] == sent["message_handle"]
    assert list(body) == SEND_SAMPLE_KEYS
    status, body = await get(api, "/api/status", handle="nope")
    assert (status, body) == (404, {"status": "ERROR", "message": "Message not found"})
    status, _ = await get(api, "/api/status")
    assert status == 400
    assert await get(api, "/api/evaluate-service", number=IMESSAGE) == (
        200,
        {"number": IMESSAGE, "service": "iMessage"},
    )
    assert await get(api, "/api/evaluate-service", number=SMS) == (
        200,
        {"number": SMS, "service": "SMS"},
    )
    assert (await get(api, "/api/evaluate-service", number="a@b.co"))[1][
        "service"
    ] == "iMessage"
    status, _ = await get(api, "/api/evaluate-service", number="555")
    assert status == 400


async def test_service_override_and_sms_downgrade(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A control override sets the service; SENT reports was_downgraded."""
    sendblue_simulator.control.set_service(IMESSAGE, "RCS")
    _, sent = await post(
        api,
        "/api/send-message",
        {"number": IMESSAGE, "from_number": LINE_1, "content": "x"},
    )
    _, sms = await post(
        api, "/api/send-message", {"number": SMS, "from_number": LINE_1, "content": "x"}
    )
    await sendblue_simulator.control.drain()
    assert (
        sendblue_simulator.control.message(sent["message_handle"])["service"] == "RCS"
    )
    assert (await get(api, "/api/evaluate-service", number=IMESSAGE))[1][
        "service"
    ] == "SMS"
    record = sendblue_simulator.control.message(sms["message_handle"])
    assert record["was_downgraded"] is True
    with pytest.raises(ValueError, match="service must be one of"):
        sendblue_simulator.control.set_service(IMESSAGE, "Fax")


async def test_send_carousel(api: aiohttp.ClientSession) -> None:
    """2-20 HTTPS images; the first becomes media_url."""
    urls = ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"]
    status, body = await post(
        api,
        "/api/send-carousel",
        {"from_number": LINE_1, "number": IMESSAGE, "media_urls": urls},
    )
    assert status == 200
    assert body["media_url"] == urls[0]
    assert body["status"] == "QUEUED"
    assert body["accountEmail"] == "demo@example.com"
    status, _ = await post(
        api,
        "/api/send-carousel",
        {"from_number": LINE_1, "number": IMESSAGE, "media_urls": urls[:1]},
    )
    assert status == 400
    status, _ = await post(
        api,
        "/api/send-carousel",
        {"from_number": LINE_1, "number": "x", "media_urls": urls},
    )
    assert status == 400


async def _seed_messages(api: aiohttp.ClientSession, sim: Simulator) -> None:
    """Create 3 outbound (2 lines) and 2 inbound messages, a minute apart."""
    for number, line in ((IMESSAGE, LINE_1), (SMS, LINE_1), (IMESSAGE, LINE_2)):
        await post(
            api,
            "/api/send-message",
            {"number": number, "from_number": line, "content": f"to {number}"},
        )
        await sim.control.advance(60)
    sim.control.inject_inbound(from_number=IMESSAGE, to_number=LINE_1, content="in 1")
    await sim.control.advance(60)
    sim.control.inject_inbound(
        from_number=SMS, to_number=LINE_2, content="in 2", service="SMS"
    )


async def test_list_messages_filters(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Every documented filter narrows the list."""
    await _seed_messages(api, sendblue_simulator)

    async def count(**params: str | int) -> int:
        status, body = await get(api, "/api/v2/messages", **params)
        assert status == 200, body
        return int(body["pagination"]["total"])

    assert await count() == 5
    assert await count(is_outbound="false") == 2
    assert await count(is_outbound="true", sendblue_number=LINE_1) == 2
    assert await count(number=IMESSAGE) == 3
    assert await count(from_number=LINE_1) == 2
    assert await count(to_number=LINE_1) == 1
    assert await count(status="RECEIVED") == 2
    assert await count(status="DELIVERED") == 3
    assert await count(service="SMS") == 2
    assert await count(message_type="group") == 0
    assert await count(account_email="demo@example.com") == 5
    assert await count(group_id="nope") == 0
    assert await count(created_at_gte="2026-01-01T12:01:00+00:00") == 4
    assert await count(created_at_lte="2026-01-01T12:01:00Z") == 2
    assert await count(sent_at_gte="2026-01-01T12:03:00.000Z") == 2
    assert await count(updated_at_lte="2026-01-01T11:59:00+00:00") == 0
    assert await count(updated_at_gte="2026-01-01T12:02:00Z") == 3
    assert await count(worker_id="admin-only") == 5


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"order_by": "date"},
        {"order_direction": "up"},
        {"is_outbound": "yes"},
        {"message_type": "inbound"},
        {"status": "LOST"},
        {"service": "Fax"},
        {"created_at_gte": "yesterday"},
    ],
)
async def test_list_messages_rejects_bad_parameters(
    api: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    """Invalid parameters answer 400 with the v2 envelope."""
    status, body = await get(api, "/api/v2/messages", **params)
    assert status == 400
    assert body["error_code"] == "VALIDATION_ERROR"


async def test_list_messages_pagination_and_order(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """limit/offset/hasMore/total and ordering."""
    await _seed_messages(api, sendblue_simulator)
    _, page = await get(api, "/api/v2/messages", limit=2)
    assert page["status"] == "OK"
    assert page["pagination"] == {"hasMore": True, "limit": 2, "offset": 0, "total": 5}
    assert [m["content"] for m in page["data"]] == ["in 2", "in 1"]
    _, last = await get(api, "/api/v2/messages", limit=2, offset=4)
    assert last["pagination"] == {"hasMore": False, "limit": 2, "offset": 4, "total": 5}
    assert [m["content"] for m in last["data"]] == [f"to {IMESSAGE}"]
    _, asc = await get(
        api, "/api/v2/messages", order_by="sentAt", order_direction="asc", limit=1
    )
    assert asc["data"][0]["content"] == f"to {IMESSAGE}"
    _, default = await get(api, "/api/v2/messages")
    assert default["pagination"]["limit"] == 100
    _, by_update = await get(api, "/api/v2/messages", order_by="updatedAt", limit=1)
    assert by_update["data"][0]["content"] == "in 2"


async def test_message_record_shape(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """v2 records carry the webhook keys plus error_key/seat_id/sender_email."""
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=IMESSAGE, content="hi"
    )
    status, body = await get(api, f"/api/v2/messages/{inbound['message_handle']}")
    assert status == 200
    record = body["data"]
    assert body["status"] == "OK"
    assert record["accountEmail"] == "demo@example.com"
    assert record["participants"] == [IMESSAGE, LINE_1]
    assert record["sendblue_number"] == LINE_1
    assert record["service"] == "iMessage"
    assert record["group_display_name"] is None
    assert {"error_key", "seat_id", "sender_email"} <= set(record)
    status, body = await get(api, "/api/v2/messages/unknown")
    assert (status, body["error_code"]) == (404, "NOT_FOUND")


async def test_soft_delete(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Deleted messages disappear from the API but stay visible to control."""
    _, sent = await post(
        api,
        "/api/send-message",
        {"number": IMESSAGE, "from_number": LINE_1, "content": "x"},
    )
    handle = sent["message_handle"]
    async with api.delete(f"/api/message/{handle}") as resp:
        assert resp.status == 200
        assert await resp.json() == {
            "status": "OK",
            "message": "Message deleted successfully",
        }
    assert (await get(api, f"/api/v2/messages/{handle}"))[0] == 404
    assert (await get(api, "/api/status", handle=handle))[0] == 404
    assert (await get(api, "/api/v2/messages"))[1]["pagination"]["total"] == 0
    assert sendblue_simulator.control.message(handle)["deleted"] is True
    async with api.delete(f"/api/message/{handle}") as resp:
        assert resp.status == 404
