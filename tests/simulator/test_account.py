"""Auth, account, lines, call forwarding, seats and line provisioning."""

import re

import aiohttp
import pytest
from yarl import URL

from sendblue_simulator import Simulator, start_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LINE_1 = "+15125550101"
LINE_2 = "+15125550102"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"sb-api-key-id": "sim-key-id"},
        {"sb-api-secret-key": "sim-secret-key"},
        {"sb-api-key-id": "sim-key-id", "sb-api-secret-key": "wrong"},
        {"sb-api-key-id": "wrong", "sb-api-secret-key": "sim-secret-key"},
    ],
)
async def test_missing_or_wrong_credentials_get_401_envelope(
    raw_http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    """Both headers are required and must match."""
    async with raw_http.post("/api/send-message", json={}, headers=headers) as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body["status"] == "ERROR"
    assert "Unauthorized" in body["message"]
    assert "error_code" not in body


async def test_v2_paths_use_the_v2_error_envelope(
    raw_http: aiohttp.ClientSession,
) -> None:
    """/api/v2 errors carry an error_code."""
    async with raw_http.get("/api/v2/messages") as resp:
        assert resp.status == 401
        assert await resp.json() == {
            "status": "ERROR",
            "error_code": "UNAUTHORIZED",
            "message": (
                "Unauthorized: missing or invalid sb-api-key-id / sb-api-secret-key"
            ),
        }


async def test_header_names_are_case_insensitive(
    raw_http: aiohttp.ClientSession,
) -> None:
    """HTTP header names are case-insensitive (docs show them upper-case)."""
    headers = {"SB-API-KEY-ID": "sim-key-id", "SB-API-SECRET-KEY": "sim-secret-key"}
    async with raw_http.get("/account", headers=headers) as resp:
        assert resp.status == 200


async def test_custom_credentials(socket_enabled: None) -> None:
    """Credentials are configurable."""
    async with (
        start_simulator(api_key_id="k", api_secret_key="s") as sim,  # noqa: S106 -- test value
        aiohttp.ClientSession(base_url=sim.base_url) as http,
    ):
        ok = {"sb-api-key-id": "k", "sb-api-secret-key": "s"}
        async with http.get("/account", headers=ok) as resp:
            assert resp.status == 200
        default = {"sb-api-key-id": "sim-key-id", "sb-api-secret-key": "sim-secret-key"}
        async with http.get("/account", headers=default) as resp:
            assert resp.status == 401


async def test_unknown_path_is_a_json_404(api: aiohttp.ClientSession) -> None:
    """Unknown routes answer with the envelope, not HTML."""
    async with api.get("/api/nope") as resp:
        assert resp.status == 404
        assert await resp.json() == {
            "status": "ERROR",
            "message": "Cannot GET /api/nope",
        }


async def test_account_and_lines(api: aiohttp.ClientSession) -> None:
    """GET /account and GET /api/lines."""
    async with api.get("/account") as resp:
        assert await resp.json() == {
            "status": "OK",
            "email": "demo@example.com",
            "plan": "dedicated",
            "company_name": "Demo Company",
        }
    async with api.get("/api/lines") as resp:
        assert await resp.json() == {"numbers": [LINE_1, LINE_2]}


async def test_configured_lines(socket_enabled: None) -> None:
    """The line set is configurable."""
    async with start_simulator(lines=["+14155550100"]) as sim:
        assert sim.lines == ["+14155550100"]


async def test_lines_state_and_control_status(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Line health comes from the control API."""
    sendblue_simulator.control.set_line_status(LINE_2, "DEGRADED")
    async with api.get("/api/v2/lines/state") as resp:
        body = await resp.json()
    assert body["status"] == "OK"
    assert ISO_MS.match(body["snapshot_at"])
    first, second = body["data"]
    assert first == {
        "assignment": "assigned",
        "sendblue_number": LINE_1,
        "status": "ONLINE",
        "worker_id": "worker-1",
        "degraded_since": None,
        "effective_until": None,
        "status_changed_at": "2026-01-01T12:00:00.000Z",
    }
    assert second["status"] == "DEGRADED"
    assert second["degraded_since"] == "2026-01-01T12:00:00.000Z"
    with pytest.raises(ValueError, match="unknown line or status"):
        sendblue_simulator.control.set_line_status(LINE_2, "BROKEN")


async def test_lines_usage_counts_new_contacts(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Outbound-initiated conversations use the hourly/daily new-contact windows."""
    sendblue_simulator.control.inject_inbound(from_number="+15550000001", content="hi")
    for number in ("+15550000002", "+15550000003", "+15550000001"):
        body = {"number": number, "from_number": LINE_1, "content": "x"}
        async with api.post("/api/send-message", json=body) as resp:
            assert resp.status == 200
    async with api.get("/api/v2/lines/usage") as resp:
        body = await resp.json()
    assert body["status"] == "OK"
    assert body["enabled"] is True
    usage = body["lines"][0]
    assert usage["phone"] == LINE_1
    assert usage["state"] == "available"
    assert usage["hourly"] == {
        "limit": 15,
        "remaining": 13,
        "used": 2,
        "nextSlotAt": None,
    }
    assert usage["daily"]["used"] == 2
    # 3 AM New York on 2026-01-02 is 08:00 UTC.
    assert usage["daily"]["resetsAt"] == "2026-01-02T08:00:00.000Z"
    assert body["lines"][1]["hourly"]["used"] == 0
    await sendblue_simulator.control.advance(3600)
    async with api.get("/api/v2/lines/usage") as resp:
        assert (await resp.json())["lines"][0]["hourly"]["used"] == 0


async def test_contact_status(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Known after any message; 400 for a foreign line."""
    sendblue_simulator.control.inject_inbound(from_number="+15550000001", content="hi")
    query = {"number": "+15550000001", "sendblue_number": LINE_1}
    async with api.get("/api/v2/lines/contact-status", params=query) as resp:
        body = await resp.json()
    assert body["classification"] == "known"
    assert body["known_contact"] is True
    assert body["new_contact_lookback_days"] == 30
    query["sendblue_number"] = LINE_2
    async with api.get("/api/v2/lines/contact-status", params=query) as resp:
        assert (await resp.json())["classification"] == "new"
    query["sendblue_number"] = "+19999999999"
    async with api.get("/api/v2/lines/contact-status", params=query) as resp:
        assert resp.status == 400
        assert (await resp.json())["error_code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("encoded", [LINE_1, "%2B" + LINE_1[1:]])
async def test_call_forwarding_with_plus_literal_or_encoded(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator, encoded: str
) -> None:
    """Path params work with `+` literal and %2B."""
    url = URL(
        f"{sendblue_simulator.base_url}/api/lines/{encoded}/call-forwarding",
        encoded=True,
    )
    async with api.get(url) as resp:
        assert await resp.json() == {
            "forwarding_number": None,
            "sendblue_number": LINE_1,
        }
    async with api.put(url, json={"forwarding_number": "(415) 555-0199"}) as resp:
        assert await resp.json() == {
            "forwarding_number": "+14155550199",
            "sendblue_number": LINE_1,
        }
    async with api.put(url, json={"forwarding_number": "nope"}) as resp:
        assert resp.status == 400
    async with api.delete(url) as resp:
        assert await resp.json() == {
            "forwarding_number": None,
            "sendblue_number": LINE_1,
        }
    async with api.get("/api/lines/+19999999999/call-forwarding") as resp:
        assert resp.status == 404


async def test_seats(api: aiohttp.ClientSession) -> None:
    """Seats list (bare array), count and retrieve."""
    async with api.get("/api/v2/seats") as resp:
        seats = await resp.json()
    assert isinstance(seats, list)
    assert seats[0]["email"] == "agent@example.com"
    assert seats[0]["account"] == "demo@example.com"
    async with api.get("/api/v2/seats", params={"email": "x@example.com"}) as resp:
        assert await resp.json() == []
    async with api.get("/api/v2/seats/count") as resp:
        assert await resp.json() == {"count": 1}
    async with api.get(f"/api/v2/seats/{seats[0]['seat_id']}") as resp:
        assert await resp.json() == {"status": "OK", "seat": seats[0]}
    async with api.get("/api/v2/seats/unknown") as resp:
        assert resp.status == 404


async def test_provision_preview_and_confirm(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A preview token buys one line, once, within 10 minutes."""
    async with api.post("/accounts/lines/provision-preview") as resp:
        preview = await resp.json()
    assert preview["status"] == "OK"
    assert preview["preview_token"].startswith("lpv_")
    assert preview["expires_at"] == "2026-01-01T12:10:00.000Z"
    body = {"preview_token": preview["preview_token"]}
    async with api.post("/accounts/lines/provision-confirm", json=body) as resp:
        result = await resp.json()
    assert result["status"] == "OK"
    assert result["phone_number"] in sendblue_simulator.lines
    async with api.post("/accounts/lines/provision-confirm", json=body) as resp:
        assert resp.status == 400
    async with api.post("/accounts/lines/provision-preview") as resp:
        late = {"preview_token": (await resp.json())["preview_token"]}
    await sendblue_simulator.control.advance(601)
    async with api.post("/accounts/lines/provision-confirm", json=late) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "Invalid or expired preview_token"


async def test_line_request_ticket_flow(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """add-line opens a ticket the control API can fulfil."""
    body = {"line_request_type": "phone", "desired_area_code": "415"}
    async with api.post("/accounts/lines/add-line", json=body) as resp:
        ticket = (await resp.json())["data"]
    assert ticket["type"] == "PHONE"
    assert ticket["status"] == "OPEN"
    assert ticket["desiredAreaCode"] == "415"
    async with api.get(f"/accounts/lines/line-request/{ticket['id']}") as resp:
        assert (await resp.json())["data"] == ticket
    sendblue_simulator.control.fulfill_line_request(ticket["id"], "+14155550111")
    async with api.get(f"/accounts/lines/line-request/{ticket['id']}") as resp:
        data = (await resp.json())["data"]
    assert data["status"] == "FULFILLED"
    assert data["fulfilledNumber"] == "+14155550111"
    assert "+14155550111" in sendblue_simulator.lines
    async with api.get("/accounts/lines/line-request/unknown") as resp:
        assert resp.status == 404
    for bad in (
        {"line_request_type": "email"},
        {"line_request_type": "phone", "desired_area_code": "41"},
    ):
        async with api.post("/accounts/lines/add-line", json=bad) as resp:
            assert resp.status == 400
    async with api.get("/accounts/lines/available-area-codes") as resp:
        assert "415" in (await resp.json())["data"]
