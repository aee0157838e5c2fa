"""Rate limits (§13) and injected faults."""

from typing import Any

import aiohttp
import pytest

from sendblue_simulator import (
    FaultKind,
    ManualClock,
    Simulator,
    WebhookReceiver,
    start_simulator,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"
STATUS_FAULTS = [
    (FaultKind.RATE_LIMIT, 429),
    (FaultKind.SERVER_ERROR, 500),
    (FaultKind.UNAVAILABLE, 503),
]


async def send(
    api: aiohttp.ClientSession, line: str = LINE_1
) -> aiohttp.ClientResponse:
    """Send one message and return the (read) response."""
    body = {"number": CONTACT, "from_number": line, "content": "x"}
    async with api.post("/api/send-message", json=body) as resp:
        await resp.read()
        return resp


async def test_per_line_burst_limit(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """10 sends per second per line, then 429 with Retry-After; refills with time."""
    for _ in range(10):
        assert (await send(api)).status == 200
    limited = await send(api)
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "1"
    body = {"number": CONTACT, "from_number": LINE_1, "content": "x"}
    async with api.post("/api/send-message", json=body) as resp:
        assert (await resp.json())["status"] == "ERROR"
    assert (await send(api, LINE_2)).status == 200
    group = {
        "numbers": [CONTACT, "+15550000004"],
        "from_number": LINE_1,
        "content": "x",
    }
    async with api.post("/api/send-group-message", json=group) as resp:
        assert resp.status == 429
    await sendblue_simulator.control.advance(0.1)
    assert (await send(api)).status == 200
    assert (await send(api)).status == 429
    await sendblue_simulator.control.advance(1)
    statuses = [(await send(api)).status for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert len(sendblue_simulator.control.messages()) == 22


async def test_reactions_share_the_line_bucket(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """Reactions take a token from the same per-line bucket."""
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, content="hi"
    )
    for _ in range(10):
        assert (await send(api)).status == 200
    body = {
        "from_number": LINE_1,
        "message_handle": inbound["message_handle"],
        "reaction": "like",
    }
    async with api.post("/api/send-reaction", json=body) as resp:
        assert resp.status == 429


async def test_messages_api_window(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """/api/v2/messages allows 100 requests per 10 s per account."""
    for _ in range(100):
        async with api.get("/api/v2/messages", params={"limit": 1}) as resp:
            assert resp.status == 200
    async with api.get("/api/v2/messages/whatever") as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "10"
        assert (await resp.json())["error_code"] == "RATE_LIMITED"
    await sendblue_simulator.control.advance(9.5)
    async with api.get("/api/v2/messages") as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
    await sendblue_simulator.control.advance(0.5)
    async with api.get("/api/v2/messages") as resp:
        assert resp.status == 200


async def test_rate_limits_can_be_switched_off(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """The control switch disables both limits."""
    sendblue_simulator.control.set_rate_limits(enabled=False)
    statuses = {(await send(api)).status for _ in range(25)}
    assert statuses == {200}
    for _ in range(101):
        async with api.get("/api/v2/messages", params={"limit": 1}) as resp:
            assert resp.status == 200


async def send_past_the_timeout(api: aiohttp.ClientSession, content: str) -> None:
    """Send with a 50 ms timeout, which a delay fault makes the caller hit."""
    body = {"number": CONTACT, "from_number": LINE_1, "content": content}
    with pytest.raises(TimeoutError):
        async with api.post(
            "/api/send-message", json=body, timeout=aiohttp.ClientTimeout(total=0.05)
        ) as resp:
            await resp.read()


async def get_account(api: aiohttp.ClientSession) -> int:
    """GET /account and return the status."""
    async with api.get("/account") as resp:
        await resp.read()
        return resp.status


@pytest.mark.parametrize(("kind", "status"), STATUS_FAULTS)
async def test_status_faults_for_the_next_n_requests(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    kind: FaultKind,
    status: int,
) -> None:
    """Count-limited faults hit the next N requests, then stop."""
    sendblue_simulator.control.add_fault(kind, count=2, retry_after=7)
    async with api.get("/account") as resp:
        assert resp.status == status
        assert (await resp.json())["status"] == "ERROR"
        if status == 429:
            assert resp.headers["Retry-After"] == "7"
    assert [await get_account(api) for _ in range(2)] == [status, 200]
    log = sendblue_simulator.control.requests()
    assert [entry["fault"] for entry in log] == [str(kind), str(kind), None]
    assert [entry["status"] for entry in log] == [status, status, 200]


async def test_fault_path_prefix_and_control_exemption(
    api: aiohttp.ClientSession,
    raw_http: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
) -> None:
    """A path prefix limits the fault; /_sim/ is never faulted."""
    sendblue_simulator.control.add_fault(
        FaultKind.SERVER_ERROR, count=1, path_prefix="/api/v2/"
    )
    async with raw_http.get("/_sim/state/faults") as resp:
        assert resp.status == 200
    assert await get_account(api) == 200
    async with api.get("/api/v2/lines/state") as resp:
        assert resp.status == 500
    async with api.get("/api/v2/lines/state") as resp:
        assert resp.status == 200


async def test_delay_fault_exceeds_the_client_timeout(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """A delayed request times out at the caller; the send still happens later."""
    hook = {"webhooks": [webhook_receiver.url()], "type": "outbound"}
    async with api.post("/api/account/webhooks", json=hook) as resp:
        assert resp.status == 200
    sendblue_simulator.control.add_fault(FaultKind.DELAY, count=1, delay_ms=300)
    await send_past_the_timeout(api, "slow")
    assert sendblue_simulator.control.messages() == []
    (late,) = await webhook_receiver.wait_for(1)
    assert (late.body["content"], late.body["status"]) == ("slow", "QUEUED")
    assert len(sendblue_simulator.control.messages()) == 1


async def test_connection_reset_fault(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """The connection is closed without an answer (POST: aiohttp does not retry)."""
    sendblue_simulator.control.add_fault(FaultKind.RESET, count=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(api)
    assert sendblue_simulator.control.messages() == []
    assert (await send(api)).status == 200
    assert sendblue_simulator.control.requests()[0]["fault"] == "reset"


async def _pattern(seed: int) -> list[int]:
    """Return the statuses of 30 requests with a 30 % share of 503 faults."""
    async with start_simulator(clock=ManualClock(), seed=seed) as sim:
        sim.control.add_fault("unavailable", probability=0.3)
        headers = {
            "sb-api-key-id": sim.api_key_id,
            "sb-api-secret-key": sim.api_secret_key,
        }
        async with aiohttp.ClientSession(base_url=sim.base_url, headers=headers) as api:
            return [await get_account(api) for _ in range(30)]


async def test_share_based_faults_are_reproducible_with_a_seed() -> None:
    """Same seed, same faulty requests; another seed, another pattern."""
    first, again, other = await _pattern(5), await _pattern(5), await _pattern(6)
    assert first == again
    assert first != other
    assert set(first) == {200, 503}
    assert 3 <= first.count(503) <= 18


async def test_share_with_count_cap(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """probability=1 with count=3 faults exactly three requests."""
    sendblue_simulator.control.add_fault("server_error", probability=1.0, count=3)
    assert [await get_account(api) for _ in range(5)] == [500, 500, 500, 200, 200]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"probability": 1.5}, "probability"), ({"count": 0}, "count")],
)
async def test_fault_validation(
    sendblue_simulator: Simulator, kwargs: dict[str, Any], error: str
) -> None:
    """Invalid fault rules are refused."""
    with pytest.raises(ValueError, match=error):
        sendblue_simulator.control.add_fault("server_error", **kwargs)
    with pytest.raises(ValueError, match="not a valid FaultKind"):
        sendblue_simulator.control.add_fault("explode")


async def test_clear_faults(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """clear_faults removes pending rules."""
    sendblue_simulator.control.add_fault("server_error", count=5)
    sendblue_simulator.control.clear_faults()
    assert await get_account(api) == 200
    assert sendblue_simulator.control.state()["faults"] == []


async def hook_outbound(api: aiohttp.ClientSession, receiver: WebhookReceiver) -> None:
    """Register the receiver as the outbound webhook."""
    hook = {"webhooks": [receiver.url()], "type": "outbound"}
    async with api.post("/api/account/webhooks", json=hook) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(("kind", "status"), STATUS_FAULTS)
async def test_after_faults_accept_the_send_then_fail(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
    kind: FaultKind,
    status: int,
) -> None:
    """The message is stored and posted, yet the caller gets the error."""
    control = sendblue_simulator.control
    await hook_outbound(api, webhook_receiver)
    control.add_fault(kind, count=1, after=True, path_prefix="/api/send-message")
    body = {"number": CONTACT, "from_number": LINE_1, "content": "ambiguous"}
    async with api.post("/api/send-message", json=body) as resp:
        assert resp.status == status
        assert (await resp.json())["status"] == "ERROR"
    (stored,) = control.messages()
    assert stored["content"] == "ambiguous"
    (posted,) = await webhook_receiver.wait_for(1)
    assert posted.body["message_handle"] == stored["message_handle"]
    entry = control.requests()[-1]
    assert (entry["fault"], entry["fault_after"]) == (str(kind), True)
    assert (entry["handled_status"], entry["status"]) == (200, status)
    assert control.state()["faults"][0]["after"] is True
    assert (await send(api)).status == 200


async def test_after_reset_closes_the_connection_once_stored(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """No answer at all, but the send happened."""
    sendblue_simulator.control.add_fault(FaultKind.RESET, count=1, after=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(api)
    assert len(sendblue_simulator.control.messages()) == 1
    entry = sendblue_simulator.control.requests()[0]
    assert (entry["fault"], entry["fault_after"], entry["handled_status"]) == (
        "reset",
        True,
        200,
    )


async def test_after_delay_holds_an_answer_already_acted_on(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """The caller times out; the message was stored before its answer was held."""
    sendblue_simulator.control.add_fault(
        FaultKind.DELAY, count=1, delay_ms=300, after=True
    )
    await send_past_the_timeout(api, "held")
    (stored,) = sendblue_simulator.control.messages()
    assert stored["content"] == "held"
    assert sendblue_simulator.control.requests()[0]["handled_status"] == 200


async def test_after_fault_on_a_refused_request(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A request the handler refused still gets the fault; nothing is stored."""
    sendblue_simulator.control.add_fault(FaultKind.SERVER_ERROR, count=1, after=True)
    async with api.post("/api/send-message", json={"number": CONTACT}) as resp:
        assert resp.status == 500
    assert sendblue_simulator.control.messages() == []
    assert sendblue_simulator.control.requests()[0]["handled_status"] == 400


async def test_after_faults_leave_the_event_stream_alone(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A stream has no single answer to replace; before-faults still apply to it."""
    control = sendblue_simulator.control
    control.add_fault("server_error", count=1, after=True, path_prefix="/api/v2/")
    headers = {"Accept": "text/event-stream"}
    async with api.get("/api/v2/events", headers=headers) as resp:
        assert resp.status == 200
    assert control.state()["faults"][0]["hits"] == 0
    async with api.get("/api/v2/lines/state") as resp:
        assert resp.status == 500
    control.add_fault("unavailable", count=1, path_prefix="/api/v2/events")
    async with api.get("/api/v2/events", headers=headers) as resp:
        assert resp.status == 503


async def test_after_flag_over_http(
    raw_http: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """POST /_sim/faults takes after: true; anything but a boolean is a 400."""
    body = {"kind": "unavailable", "after": True, "path_prefix": "/api/"}
    async with raw_http.post("/_sim/faults", json=body) as resp:
        assert resp.status == 200
        assert (await resp.json())["after"] is True
    async with raw_http.post(
        "/_sim/faults", json={"kind": "unavailable", "after": "yes"}
    ) as resp:
        assert resp.status == 400
    assert [rule["after"] for rule in sendblue_simulator.control.state()["faults"]] == [
        True
    ]
