"""The /_sim/ control API, reset, reproducibility and the request log."""

from typing import Any

import aiohttp
import pytest

from sendblue_simulator import (
    ManualClock,
    RealClock,
    Simulator,
    WebhookReceiver,
    start_simulator,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: object = None
) -> tuple[int, Any]:
    """Make a JSON request and return status and JSON body."""
    async with http.request(method, path, json=body) as resp:
        return resp.status, await resp.json()


async def test_control_http_end_to_end(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Inject, inspect, fault, tune and advance over HTTP (no credentials needed)."""
    await call(
        api,
        "POST",
        "/api/account/webhooks",
        {"webhooks": [webhook_receiver.url()], "type": "receive"},
    )
    status, record = await call(
        raw_http,
        "POST",
        "/_sim/inbound",
        {"from_number": CONTACT, "content": "hi", "ignored": 1},
    )
    assert status == 200
    assert record["status"] == "RECEIVED"
    status, _ = await call(raw_http, "POST", "/_sim/inbound", {"from_number": CONTACT})
    assert status == 400
    status, typing = await call(
        raw_http, "POST", "/_sim/typing", {"from_number": CONTACT, "to_number": LINE_2}
    )
    assert typing["from_number"] == LINE_2
    assert (await call(raw_http, "POST", "/_sim/typing", {"from_number": "x"}))[
        0
    ] == 400
    status, drained = await call(raw_http, "POST", "/_sim/drain")
    assert drained == {"status": "OK", "deliveries": 1}
    status, messages = await call(raw_http, "GET", "/_sim/state/messages")
    assert [m["content"] for m in messages] == ["hi"]
    status, _ = await call(raw_http, "GET", "/_sim/state/nope")
    assert status == 404
    status, dump = await call(raw_http, "GET", "/_sim/state")
    assert set(dump) >= {
        "messages",
        "reactions",
        "read_receipts",
        "typing_indicators",
        "uploads",
        "contacts",
        "webhooks",
        "deliveries",
        "requests",
        "settings",
    }
    assert dump["inbound_typing"][0]["number"] == CONTACT


async def test_control_http_faults_settings_lines(
    api: aiohttp.ClientSession, raw_http: aiohttp.ClientSession
) -> None:
    """Faults, error numbers, settings, time, lines, log and reset over HTTP."""
    status, rule = await call(
        raw_http, "POST", "/_sim/faults", {"kind": "server_error", "count": 1}
    )
    assert rule["kind"] == "server_error"
    assert (await call(raw_http, "POST", "/_sim/faults", {"kind": "boom"}))[0] == 400
    assert (await call(api, "GET", "/account"))[0] == 500
    await call(raw_http, "POST", "/_sim/faults", {"kind": "server_error", "count": 1})
    assert (await call(raw_http, "DELETE", "/_sim/faults"))[0] == 200
    assert (await call(api, "GET", "/account"))[0] == 200

    await call(raw_http, "POST", "/_sim/error-numbers", {"numbers": {CONTACT: 5000}})
    assert (await call(raw_http, "POST", "/_sim/error-numbers", {"numbers": "x"}))[
        0
    ] == 400
    status, settings = await call(
        raw_http,
        "POST",
        "/_sim/settings",
        {
            "latency_ms": 250,
            "duplicate_deliveries": True,
            "rate_limits": False,
            "services": {CONTACT: "SMS"},
        },
    )
    assert settings == {
        "latency_ms": 250,
        "rate_limits": False,
        "duplicate_deliveries": True,
        "error_numbers": {CONTACT: 5000},
        "service_overrides": {CONTACT: "SMS"},
    }
    assert (
        await call(raw_http, "POST", "/_sim/settings", {"services": {CONTACT: "Fax"}})
    )[0] == 400
    _, sent = await call(
        api,
        "POST",
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "x"},
    )
    status, advanced = await call(raw_http, "POST", "/_sim/advance", {"seconds": 0.25})
    assert advanced == {"status": "OK", "now": "2026-01-01T12:00:00.250Z"}
    assert (await call(raw_http, "POST", "/_sim/advance", {"seconds": -1}))[0] == 400
    _, messages = await call(raw_http, "GET", "/_sim/state/messages")
    assert [
        (m["status"], m["error_code"], m["service"])
        for m in messages
        if m["message_handle"] == sent["message_handle"]
    ] == [("ERROR", 5000, "SMS")]

    assert (
        await call(
            raw_http, "POST", f"/_sim/lines/{LINE_1}/status", {"status": "OFFLINE"}
        )
    )[0] == 200
    assert (
        await call(
            raw_http, "POST", f"/_sim/lines/{LINE_1}/status", {"status": "MELTED"}
        )
    )[0] == 400
    _, ticket = await call(
        api, "POST", "/accounts/lines/add-line", {"line_request_type": "phone"}
    )
    status, fulfilled = await call(
        raw_http, "POST", f"/_sim/line-requests/{ticket['data']['id']}/fulfill", {}
    )
    assert status == 200
    assert fulfilled["status"] == "FULFILLED"
    assert fulfilled["fulfilledNumber"].startswith("+1512555")
    assert (await call(raw_http, "POST", "/_sim/line-requests/nope/fulfill", {}))[
        0
    ] == 400

    assert (await call(raw_http, "DELETE", "/_sim/requests"))[0] == 200
    assert (await call(raw_http, "GET", "/_sim/state/requests"))[1] == []
    assert (await call(raw_http, "POST", "/_sim/reset"))[0] == 200
    _, dump = await call(raw_http, "GET", "/_sim/state")
    assert dump["messages"] == []
    assert dump["webhooks"]["receive"] == []
    assert dump["settings"]["latency_ms"] == 0
    assert dump["lines"][0]["status"] == "ONLINE"


async def test_request_log_redacts_secrets(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Method, path, raw query, headers minus secrets, JSON body, status."""
    body = {"number": CONTACT, "from_number": LINE_1, "content": "logged"}
    async with api.post("/api/send-message", json=body):
        pass
    async with api.get("/api/v2/messages?limit=5&number=%2B15550000002"):
        pass
    first, second = sendblue_simulator.control.requests()
    assert first["method"] == "POST"
    assert first["path"] == "/api/send-message"
    assert first["json"] == body
    assert first["status"] == 200
    assert first["headers"]["sb-api-key-id"] == "***"
    assert first["headers"]["sb-api-secret-key"] == "***"
    assert first["headers"]["content-type"] == "application/json"
    assert "sim-secret-key" not in str(first)
    assert second["query_string"] == "limit=5&number=%2B15550000002"
    assert second["query"] == {"limit": "5", "number": CONTACT}
    assert second["json"] is None


async def test_reset_restarts_ids_from_the_seed(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """After reset the same seed produces the same handles."""
    body = {"number": CONTACT, "from_number": LINE_1, "content": "x"}
    _, first = await call(api, "POST", "/api/send-message", body)
    sendblue_simulator.control.set_error_numbers([CONTACT])
    sendblue_simulator.control.reset()
    assert sendblue_simulator.control.messages() == []
    assert sendblue_simulator.control.state()["settings"]["error_numbers"] == {}
    _, again = await call(api, "POST", "/api/send-message", body)
    assert again["message_handle"] == first["message_handle"]


async def _run(seed: int) -> list[str]:
    """Return ids produced by a fixed scenario."""
    async with start_simulator(clock=ManualClock(), seed=seed) as sim:
        headers = {
            "sb-api-key-id": sim.api_key_id,
            "sb-api-secret-key": sim.api_secret_key,
        }
        async with aiohttp.ClientSession(base_url=sim.base_url, headers=headers) as api:
            ids = []
            for content in ("a", "b"):
                _, sent = await call(
                    api,
                    "POST",
                    "/api/send-message",
                    {"number": CONTACT, "from_number": LINE_1, "content": content},
                )
                ids.append(sent["message_handle"])
            _, group = await call(
                api,
                "POST",
                "/api/create-group",
                {"from_number": LINE_1, "numbers": [CONTACT, "+15550000004"]},
            )
            ids.append(group["group_id"])
            ids.append(
                sim.control.inject_inbound(from_number=CONTACT, content="c")[
                    "message_handle"
                ]
            )
            return ids


async def test_seeded_runs_are_reproducible() -> None:
    """Same seed, same ids; different seed, different ids."""
    assert await _run(42) == await _run(42)
    assert await _run(42) != await _run(43)


async def test_wait_for_deliveries_and_run_until_idle(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """wait_for_deliveries awaits the worker; run_until_idle settles everything."""
    control = sendblue_simulator.control
    control.set_latency(1000)
    await call(
        api,
        "POST",
        "/api/account/webhooks",
        {"webhooks": [webhook_receiver.url()], "type": "outbound"},
    )
    await call(
        api,
        "POST",
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "x"},
    )
    records = await control.wait_for_deliveries(1)
    assert records[0]["body"]["status"] == "QUEUED"
    assert control.now() == "2026-01-01T12:00:00.000Z"
    await control.run_until_idle()
    assert control.now() == "2026-01-01T12:00:02.000Z"
    assert [d["body"]["status"] for d in control.deliveries()] == [
        "QUEUED",
        "SENT",
        "DELIVERED",
    ]
    with pytest.raises(TimeoutError):
        await control.wait_for_deliveries(4, max_wait=0.05)


async def test_run_until_idle_respects_its_horizon(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Work beyond max_seconds stays scheduled."""
    sendblue_simulator.control.set_latency(10_000)
    _, sent = await call(
        api,
        "POST",
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "x"},
    )
    await sendblue_simulator.control.run_until_idle(max_seconds=15)
    assert (
        sendblue_simulator.control.message(sent["message_handle"])["status"] == "SENT"
    )
    await sendblue_simulator.control.run_until_idle()
    assert (
        sendblue_simulator.control.message(sent["message_handle"])["status"]
        == "DELIVERED"
    )


async def test_clocks() -> None:
    """The manual clock only moves on advance; the real clock also accepts advance."""
    manual = ManualClock()
    assert manual.runs_by_itself is False
    manual.advance(-5)
    assert manual.monotonic() == 0
    manual.advance(90)
    assert manual.now().isoformat() == "2026-01-01T12:01:30+00:00"
    real = RealClock()
    assert real.runs_by_itself is True
    before = real.now()
    real.advance(3600)
    assert (real.now() - before).total_seconds() >= 3600


async def test_simulator_requires_start_for_its_url() -> None:
    """base_url is only known once listening."""
    simulator = Simulator()
    with pytest.raises(RuntimeError, match="not started"):
        _ = simulator.base_url


async def test_advance_works_on_the_real_clock_too() -> None:
    """advance() skips real waiting: a 60 s latency passes at once."""
    async with start_simulator(latency_ms=60_000) as sim:
        headers = {
            "sb-api-key-id": sim.api_key_id,
            "sb-api-secret-key": sim.api_secret_key,
        }
        async with aiohttp.ClientSession(base_url=sim.base_url, headers=headers) as api:
            body = {"number": CONTACT, "from_number": LINE_1, "content": "x"}
            _, sent = await call(api, "POST", "/api/send-message", body)
        await sim.control.advance(60)
        assert sim.control.message(sent["message_handle"])["status"] == "SENT"
        await sim.control.advance(60)
        assert sim.control.message(sent["message_handle"])["status"] == "DELIVERED"
