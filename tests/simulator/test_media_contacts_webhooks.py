"""Uploads and media serving, contacts, contact sharing, webhook management."""

from typing import Any

import aiohttp
import pytest
from yarl import URL

from sendblue_simulator import Simulator, start_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"
BAD_TYPE = (
    "Invalid webhook type. Must be one of: receive, outbound, typing_indicator, "
    "call_log, inbound_call, line_blocked, line_assigned, contact_created, "
    "contact_profile, call_completed"
)


async def call(
    api: aiohttp.ClientSession, method: str, path: str | URL, body: object = None
) -> tuple[int, Any]:
    """Make a JSON request and return status and JSON body."""
    async with api.request(method, path, json=body) as resp:
        return resp.status, await resp.json()


def file_form(
    data: bytes, filename: str = "photo.jpg", field: str = "file"
) -> aiohttp.FormData:
    """Build a multipart form with one file field."""
    form = aiohttp.FormData()
    form.add_field(field, data, filename=filename, content_type="image/jpeg")
    return form


async def test_upload_file_and_serve_it(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """201 with a media_url the simulator serves (no auth, like a CDN)."""
    async with api.post(
        "/api/upload-file", data=file_form(b"JPEGDATA", "my photo.jpg")
    ) as resp:
        assert resp.status == 201
        body = await resp.json()
    assert list(body) == ["status", "message", "media_url", "mediaObjectId"]
    assert body["status"] == "OK"
    assert body["message"] == "File uploaded successfully"
    assert body["mediaObjectId"].endswith("_my_photo.jpg")
    assert (
        body["media_url"]
        == f"{sendblue_simulator.base_url}/media/{body['mediaObjectId']}"
    )
    async with raw_http.get(URL(body["media_url"]).path) as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
        assert await resp.read() == b"JPEGDATA"
    log = sendblue_simulator.control.requests()[0]
    assert log["upload"] == {
        "field": "file",
        "filename": "my_photo.jpg",
        "size": 8,
        "content_type": "image/jpeg",
    }
    assert sendblue_simulator.control.upload_bytes(body["mediaObjectId"]) == b"JPEGDATA"
    sent = {"number": CONTACT, "from_number": LINE_1, "media_url": body["media_url"]}
    status, _ = await call(api, "POST", "/api/send-message", sent)
    assert status == 200
    async with raw_http.get("/media/unknown") as resp:
        assert resp.status == 404


async def test_upload_errors(api: aiohttp.ClientSession) -> None:
    """A missing `file` field or a JSON body is refused."""
    async with api.post(
        "/api/upload-file", data=file_form(b"x", field="other")
    ) as resp:
        assert resp.status == 400
        assert "file" in (await resp.json())["message"]
    status, _ = await call(api, "POST", "/api/upload-file", {"file": "x"})
    assert status == 400


async def test_upload_size_limit(socket_enabled: None) -> None:
    """Files over the limit (100 MB by default) get 413."""
    async with (
        start_simulator(max_upload_bytes=1024) as sim,
        aiohttp.ClientSession(
            base_url=sim.base_url,
            headers={
                "sb-api-key-id": sim.api_key_id,
                "sb-api-secret-key": sim.api_secret_key,
            },
        ) as api,
    ):
        async with api.post("/api/upload-file", data=file_form(b"x" * 1025)) as resp:
            assert resp.status == 413
            assert (await resp.json())[
                "message"
            ] == "File too large. Maximum size is 0.000976562MB"
        async with api.post("/api/upload-file", data=file_form(b"x" * 1024)) as resp:
            assert resp.status == 201
    assert sim.config.max_upload_bytes == 1024
    async with start_simulator() as default:
        assert default.config.max_upload_bytes == 100 * 1024 * 1024


async def test_upload_media_object(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """201 with a mediaObjectId; the source is recorded, never fetched."""
    status, body = await call(
        api,
        "POST",
        "/api/upload-media-object",
        {"media_url": "https://signed.example.com/a.png?sig=1"},
    )
    assert status == 201
    assert body["status"] == "OK"
    assert body["message"] == "File uploaded successfully"
    assert body["mediaObjectId"].startswith("MO_")
    assert body["mediaObjectId"].endswith(".png")
    upload = sendblue_simulator.control.uploads()[0]
    assert upload["source_url"] == "https://signed.example.com/a.png?sig=1"
    assert upload["size"] is None
    assert await call(
        api, "POST", "/api/upload-media-object", {"media_url": "nope"}
    ) == (
        400,
        {"status": "ERROR", "message": "Invalid media URL"},
    )


async def test_upload_media_object_copies_own_media(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Re-hosting a file the simulator serves copies its bytes."""
    async with api.post("/api/upload-file", data=file_form(b"DATA")) as resp:
        uploaded = await resp.json()
    _, body = await call(
        api, "POST", "/api/upload-media-object", {"media_url": uploaded["media_url"]}
    )
    assert sendblue_simulator.control.upload_bytes(body["mediaObjectId"]) == b"DATA"


async def test_contact_crud(api: aiohttp.ClientSession) -> None:
    """Create (both spellings), get, update (merge), 409, delete, 404."""
    status, created = await call(
        api,
        "POST",
        "/api/v2/contacts",
        {
            "number": CONTACT,
            "firstName": "Ada",
            "last_name": "Lovelace",
            "tags": ["vip"],
            "custom_variables": {"a": "1"},
            "sendblue_number": LINE_1,
        },
    )
    assert status == 200
    contact = created["contact"]
    assert created["status"] == "OK"
    assert set(contact) == {
        "assigned_to_email",
        "company_name",
        "contact_id",
        "created_at",
        "custom_variables",
        "first_name",
        "last_name",
        "opt_out",
        "phone",
        "sendblue_number",
        "tags",
        "verified",
    }
    assert (contact["first_name"], contact["last_name"], contact["phone"]) == (
        "Ada",
        "Lovelace",
        CONTACT,
    )
    assert await call(api, "POST", "/api/v2/contacts", {"number": CONTACT}) == (
        409,
        {
            "status": "ERROR",
            "error_code": "CONFLICT",
            "message": "Contact already exists",
        },
    )
    status, upserted = await call(
        api,
        "POST",
        "/api/v2/contacts",
        {"number": CONTACT, "update_if_exists": True, "companyName": "AE"},
    )
    assert upserted["contact"]["company_name"] == "AE"
    for path in (
        f"/api/v2/contacts/{CONTACT}",
        URL(f"/api/v2/contacts/%2B{CONTACT[1:]}", encoded=True),
    ):
        status, got = await call(api, "GET", path)
        assert (status, got["contact"]["contact_id"]) == (200, contact["contact_id"])
    status, updated = await call(
        api,
        "PUT",
        f"/api/v2/contacts/{CONTACT}",
        {"custom_variables": {"b": "2"}, "optOut": True, "tags": []},
    )
    assert updated["contact"]["custom_variables"] == {"a": "1", "b": "2"}
    assert updated["contact"]["opt_out"] is True
    assert updated["contact"]["tags"] == []
    assert await call(api, "DELETE", f"/api/v2/contacts/{CONTACT}") == (
        200,
        {"status": "OK"},
    )
    status, missing = await call(api, "GET", f"/api/v2/contacts/{CONTACT}")
    assert (status, missing["error_code"]) == (404, "NOT_FOUND")
    status, _ = await call(api, "PUT", f"/api/v2/contacts/{CONTACT}", {})
    assert status == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing fields"),
        ({"number": "5550000002"}, "Invalid phone number"),
        ({"number": CONTACT, "first_name": 5}, "first_name must be a string"),
        (
            {"number": CONTACT, "sendblue_number": "+19998887777"},
            "sendblue_number must be one of your Sendblue numbers",
        ),
        ({"number": CONTACT, "tags": "vip"}, "tags must be an array of strings"),
        (
            {"number": CONTACT, "custom_variables": ["a"]},
            "custom_variables must be an object",
        ),
    ],
)
async def test_contact_validation(
    api: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    """Create validates like the legacy docs."""
    assert await call(api, "POST", "/api/v2/contacts", body) == (
        400,
        {"status": "ERROR", "error_code": "VALIDATION_ERROR", "message": message},
    )


async def test_contact_list_count_and_bulk(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Bare-array list with filters, count, bulk create and bulk delete by phone."""
    phones = [f"+1555000001{i}" for i in range(5)]
    status, bulk = await call(
        api,
        "POST",
        "/api/v2/contacts/bulk",
        {
            "contacts": [
                {"phone": p, "first_name": f"N{i}"} for i, p in enumerate(phones)
            ]
        },
    )
    assert status == 200
    assert [c["phone"] for c in bulk["contacts"]] == phones
    assert await call(api, "GET", "/api/v2/contacts/count") == (200, {"count": 5})
    async with api.get(
        "/api/v2/contacts",
        params={"limit": 2, "order_direction": "asc", "order_by": "phone"},
    ) as resp:
        listed = await resp.json()
    assert isinstance(listed, list)
    assert [c["phone"] for c in listed] == phones[:2]
    async with api.get("/api/v2/contacts", params={"phone_number": phones[3]}) as resp:
        assert [c["first_name"] for c in await resp.json()] == ["N3"]
    async with api.get(
        "/api/v2/contacts", params={"cid": bulk["contacts"][4]["contact_id"]}
    ) as resp:
        assert [c["phone"] for c in await resp.json()] == [phones[4]]
    async with api.get(
        "/api/v2/contacts", params={"created_at_gte": "2026-01-01T12:00:01+00:00"}
    ) as resp:
        assert await resp.json() == []
    for bad in (
        {"limit": "0"},
        {"order_by": "shoe_size"},
        {"order_direction": "up"},
        {"created_at_gte": "x"},
    ):
        async with api.get("/api/v2/contacts", params=bad) as resp:
            assert resp.status == 400
    status, deleted = await call(
        api,
        "DELETE",
        "/api/v2/contacts",
        {"contact_ids": [*phones[:3], "+15559999999"]},
    )
    assert (status, deleted) == (200, {"status": "OK", "amount": 3})
    assert [c["phone"] for c in sendblue_simulator.control.contacts()] == phones[3:]
    bad_bulk: list[object] = [{"contacts": []}, {"contacts": [{"phone": "x"}]}]
    for bulk_body in bad_bulk:
        status, _ = await call(api, "POST", "/api/v2/contacts/bulk", bulk_body)
        assert status == 400
    status, _ = await call(api, "DELETE", "/api/v2/contacts", {"contact_ids": "x"})
    assert status == 400


async def test_opt_out_and_verify(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Opt-out flags contact and later messages; verify records and marks verified."""
    assert await call(api, "POST", "/api/v2/contacts/opt-out", {"number": CONTACT}) == (
        200,
        {"status": "OK", "number": CONTACT, "opted_out": True},
    )
    _, sent = await call(
        api,
        "POST",
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "x"},
    )
    assert sent["opted_out"] is True
    await call(
        api, "POST", "/api/v2/contacts/opt-out", {"number": CONTACT, "opted_out": False}
    )
    _, again = await call(
        api,
        "POST",
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "x"},
    )
    assert again["opted_out"] is False
    assert (await call(api, "POST", "/api/v2/contacts/opt-out", {"number": "x"}))[
        0
    ] == 400
    assert (
        await call(
            api,
            "POST",
            "/api/v2/contacts/opt-out",
            {"number": CONTACT, "opted_out": "no"},
        )
    )[0] == 400
    assert await call(api, "POST", "/api/v2/contacts/verify", {"number": CONTACT}) == (
        200,
        {"status": "OK"},
    )
    assert sendblue_simulator.control.contacts()[0]["verified"] is True
    assert sendblue_simulator.control.state()["verifications"][0]["number"] == CONTACT
    assert (await call(api, "POST", "/api/v2/contacts/verify", {}))[0] == 400


async def test_contact_sharing(api: aiohttp.ClientSession) -> None:
    """Contact sharing uses camelCase names."""
    url = URL.build(path="/api/v2/contact-sharing/state", query={"fromNumber": LINE_1})
    assert await call(api, "GET", url) == (
        200,
        {
            "status": "OK",
            "data": {
                "hasProfile": False,
                "firstName": None,
                "lastName": None,
                "displayName": None,
            },
        },
    )
    profile = {
        "fromNumber": LINE_1,
        "firstName": "Home",
        "lastName": "Assistant",
        "photoUrl": "https://cdn.example.com/ha.png",
        "displayName": "HA",
    }
    assert await call(api, "POST", "/api/v2/contact-sharing/profile", profile) == (
        200,
        {
            "status": "OK",
            "data": {
                "hasProfile": True,
                "firstName": "Home",
                "lastName": "Assistant",
                "displayName": "HA",
            },
        },
    )
    assert (await call(api, "GET", url))[1]["data"]["hasProfile"] is True
    for bad in (
        {**profile, "fromNumber": "+19998887777"},
        {**profile, "firstName": ""},
        {**profile, "photoUrl": "http://x/a.png"},
    ):
        assert (await call(api, "POST", "/api/v2/contact-sharing/profile", bad))[
            0
        ] == 400


async def test_webhook_management(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """GET/POST (append)/PUT (replace)/DELETE, secrets and globalSecret."""
    status, listed = await call(api, "GET", "/api/account/webhooks")
    assert status == 200
    assert listed["webhooks"]["receive"] == []
    assert "globalSecret" not in listed["webhooks"]
    status, added = await call(
        api,
        "POST",
        "/api/account/webhooks",
        {
            "webhooks": [
                "https://a.example.com/in",
                {
                    "url": "https://b.example.com/in",
                    "secret": "s",
                    "sendblue_numbers": [LINE_1],
                },
            ],
            "globalSecret": "g",
        },
    )
    assert (status, added["message"]) == (200, "Webhooks added successfully")
    assert added["webhooks"]["receive"] == [
        "https://a.example.com/in",
        {
            "url": "https://b.example.com/in",
            "secret": "s",
            "sendblue_numbers": [LINE_1],
        },
    ]
    assert added["webhooks"]["globalSecret"] == "g"
    _, again = await call(
        api,
        "POST",
        "/api/account/webhooks",
        {"webhooks": [{"url": "https://a.example.com/in", "secret": "new"}]},
    )
    assert again["webhooks"]["receive"][-1] == {
        "url": "https://a.example.com/in",
        "secret": "new",
    }
    assert len(again["webhooks"]["receive"]) == 2
    await call(
        api,
        "POST",
        "/api/account/webhooks",
        {"webhooks": ["https://c.example.com/out"], "type": "outbound"},
    )
    status, deleted = await call(
        api,
        "DELETE",
        "/api/account/webhooks",
        {"webhooks": ["https://a.example.com/in"]},
    )
    assert (status, deleted) == (
        200,
        {"status": "OK", "message": "Webhooks deleted successfully"},
    )
    assert sendblue_simulator.control.webhooks()["receive"] == [
        {"url": "https://b.example.com/in", "secret": "s", "sendblue_numbers": [LINE_1]}
    ]
    status, replaced = await call(
        api,
        "PUT",
        "/api/account/webhooks",
        {
            "webhooks": {
                "typing_indicator": ["https://t.example.com"],
                "globalSecret": "g2",
            }
        },
    )
    assert (status, replaced["message"]) == (200, "Webhooks updated successfully")
    assert replaced["webhooks"]["receive"] == []
    assert replaced["webhooks"]["outbound"] == []
    assert replaced["webhooks"]["typing_indicator"] == ["https://t.example.com"]
    assert replaced["webhooks"]["globalSecret"] == "g2"


@pytest.mark.parametrize(
    ("method", "body", "message"),
    [
        ("POST", {"webhooks": []}, "`webhooks` must be a non-empty array"),
        ("POST", {"webhooks": ["x"]}, "Invalid webhook URL: x"),
        (
            "POST",
            {"webhooks": [{"secret": "s"}]},
            "Each webhook must be a URL or an object with a valid `url`",
        ),
        (
            "POST",
            {"webhooks": ["https://a.example.com"], "type": "bogus"},
            BAD_TYPE,
        ),
        (
            "POST",
            {
                "webhooks": [
                    {"url": "https://a.example.com", "sendblue_numbers": [LINE_1]}
                ],
                "type": "outbound",
            },
            "`sendblue_numbers` is only supported on receive webhooks",
        ),
        (
            "POST",
            {
                "webhooks": [
                    {
                        "url": "https://a.example.com",
                        "sendblue_numbers": ["+19998887777"],
                    }
                ]
            },
            "`sendblue_numbers` must list Sendblue numbers of this account",
        ),
        (
            "POST",
            {"webhooks": [{"url": "https://a.example.com", "secret": 5}]},
            "`secret` must be a string",
        ),
        (
            "POST",
            {"webhooks": ["https://a.example.com"], "globalSecret": 5},
            "`globalSecret` must be a string",
        ),
        ("PUT", {"webhooks": []}, "`webhooks` must be an object keyed by webhook type"),
        (
            "PUT",
            {"webhooks": {"nope": []}},
            BAD_TYPE,
        ),
        (
            "PUT",
            {"webhooks": {"receive": "https://a.example.com"}},
            "`receive` must be an array",
        ),
        ("DELETE", {"webhooks": [5]}, "`webhooks` must be a non-empty array of URLs"),
    ],
)
async def test_webhook_management_errors(
    api: aiohttp.ClientSession, method: str, body: dict[str, Any], message: str
) -> None:
    """Invalid webhook requests answer 400 with the legacy envelope."""
    assert await call(api, method, "/api/account/webhooks", body) == (
        400,
        {"status": "ERROR", "message": message},
    )
