"""Status progression, webhook delivery (secrets, filters, retries, duplicates)."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sendblue_simulator import (
    ManualClock,
    Simulator,
    WebhookReceiver,
    start_simulator,
)
from sendblue_simulator.webhooks import NOT_LOOPBACK, is_loopback

pytestmark = pytest.mark.usefixtures("socket_enabled")

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"


async def post(api: aiohttp.ClientSession, path: str, body: object) -> tuple[int, Any]:
    """POST JSON and return status and JSON body."""
    async with api.post(path, json=body) as resp:
        return resp.status, await resp.json()


async def add_webhook(
    api: aiohttp.ClientSession,
    kind: str,
    *entries: object,
    global_secret: str | None = None,
) -> None:
    """Register webhooks of one type."""
    body: dict[str, Any] = {"webhooks": list(entries), "type": kind}
    if global_secret is not None:
        body["globalSecret"] = global_secret
    status, _ = await post(api, "/api/account/webhooks", body)
    assert status == 200


async def send(api: aiohttp.ClientSession, **extra: object) -> dict[str, Any]:
    """Send one message from LINE_1 to CONTACT."""
    status, body = await post(
        api,
        "/api/send-message",
        {"number": CONTACT, "from_number": LINE_1, "content": "hi", **extra},
    )
    assert status == 200, body
    return dict(body)


@pytest.fixture
async def slow_simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Run a simulator with 500 ms between status steps and a manual clock."""
    async with start_simulator(clock=ManualClock(), seed=7, latency_ms=500) as sim:
        yield sim


@pytest.fixture
async def slow_api(slow_simulator: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session for slow_simulator."""
    headers = {"sb-api-key-id": "sim-key-id", "sb-api-secret-key": "sim-secret-key"}
    async with aiohttp.ClientSession(
        base_url=slow_simulator.base_url, headers=headers
    ) as session:
        yield session


async def test_status_progression_follows_the_clock(
    slow_api: aiohttp.ClientSession,
    slow_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """QUEUED now, SENT after latency, DELIVERED after twice the latency."""
    control = slow_simulator.control
    await add_webhook(slow_api, "outbound", webhook_receiver.url("/outbound"))
    sent = await send(slow_api, status_callback=webhook_receiver.url("/callback"))
    await control.drain()
    assert [(r.path, r.body["status"]) for r in webhook_receiver.received] == [
        ("/outbound", "QUEUED"),
        ("/callback", "QUEUED"),
    ]
    await control.advance(0.499)
    assert len(webhook_receiver.received) == 2
    await control.advance(0.001)
    assert control.message(sent["message_handle"])["status"] == "SENT"
    await control.advance(0.5)
    statuses = [(r.path, r.body["status"]) for r in webhook_receiver.received]
    assert statuses[2:] == [
        ("/outbound", "SENT"),
        ("/callback", "SENT"),
        ("/outbound", "DELIVERED"),
        ("/callback", "DELIVERED"),
    ]
    delivered = webhook_receiver.received[-1].body
    assert delivered["message_handle"] == sent["message_handle"]
    assert delivered["date_sent"] == "2026-01-01T12:00:00.000Z"
    assert delivered["date_updated"] == "2026-01-01T12:00:01.000Z"
    assert delivered["was_downgraded"] is False
    async with slow_api.get(
        "/api/status", params={"handle": sent["message_handle"]}
    ) as resp:
        assert (await resp.json())["status"] == "DELIVERED"


async def test_error_numbers_end_in_error(
    slow_api: aiohttp.ClientSession,
    slow_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Configured numbers go QUEUED → ERROR with their error_code."""
    slow_simulator.control.set_error_numbers({CONTACT: 4002})
    await add_webhook(slow_api, "outbound", webhook_receiver.url())
    sent = await send(slow_api)
    await slow_simulator.control.run_until_idle()
    bodies = webhook_receiver.bodies()
    assert [b["status"] for b in bodies] == ["QUEUED", "ERROR"]
    assert bodies[-1]["error_code"] == 4002
    assert bodies[-1]["error_message"] == "Message failed to send"
    assert slow_simulator.control.message(sent["message_handle"])["status"] == "ERROR"
    slow_simulator.control.set_error_numbers([CONTACT])
    await send(slow_api)
    await slow_simulator.control.run_until_idle()
    assert webhook_receiver.bodies()[-1]["error_code"] == 10001


async def test_real_time_latency(webhook_receiver: WebhookReceiver) -> None:
    """With a real clock, statuses follow after real latency (no advance needed)."""
    async with (
        start_simulator(latency_ms=20) as sim,
        aiohttp.ClientSession(
            base_url=sim.base_url,
            headers={
                "sb-api-key-id": sim.api_key_id,
                "sb-api-secret-key": sim.api_secret_key,
            },
        ) as api,
    ):
        await add_webhook(api, "outbound", webhook_receiver.url())
        await send(api)
        await webhook_receiver.wait_for(3)
        assert [b["status"] for b in webhook_receiver.bodies()] == [
            "QUEUED",
            "SENT",
            "DELIVERED",
        ]
        records = await sim.control.wait_for_deliveries(3)
        assert all(r["status"] == 200 for r in records)


async def test_secret_precedence(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Own secret, else globalSecret, else no sb-signing-secret header."""
    await add_webhook(
        api,
        "receive",
        {"url": webhook_receiver.url("/own"), "secret": "own-secret"},
        webhook_receiver.url("/bare"),
    )
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="one")
    await sendblue_simulator.control.drain()
    headers = {
        r.path: r.headers.get("sb-signing-secret") for r in webhook_receiver.received
    }
    assert headers == {"/own": "own-secret", "/bare": None}
    await add_webhook(
        api,
        "receive",
        webhook_receiver.url("/bare"),
        global_secret="global",  # noqa: S106 -- a test value
    )
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="two")
    await sendblue_simulator.control.drain()
    headers = {
        r.path: r.headers.get("sb-signing-secret")
        for r in webhook_receiver.received[2:]
    }
    assert headers == {"/own": "own-secret", "/bare": "global"}
    recorded = sendblue_simulator.control.deliveries(event="receive")
    assert recorded[-1]["headers"]["sb-signing-secret"] == "global"
    assert recorded[-1]["body"]["content"] == "two"


async def test_sendblue_numbers_filter_on_receive(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """A receive webhook with sendblue_numbers only gets messages to those lines."""
    await add_webhook(
        api,
        "receive",
        {"url": webhook_receiver.url("/line2"), "sendblue_numbers": [LINE_2]},
        webhook_receiver.url("/all"),
    )
    sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, to_number=LINE_1, content="to 1"
    )
    sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, to_number=LINE_2, content="to 2"
    )
    await sendblue_simulator.control.drain()
    got = sorted((r.path, r.body["content"]) for r in webhook_receiver.received)
    assert got == [("/all", "to 1"), ("/all", "to 2"), ("/line2", "to 2")]


async def test_duplicate_delivery_switch(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """At-least-once: with the switch on, every event arrives twice."""
    await add_webhook(api, "receive", webhook_receiver.url())
    sendblue_simulator.control.set_duplicate_deliveries(enabled=True)
    inbound = sendblue_simulator.control.inject_inbound(
        from_number=CONTACT, content="dup"
    )
    await sendblue_simulator.control.drain()
    bodies = webhook_receiver.bodies()
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert bodies[0]["message_handle"] == inbound["message_handle"]
    assert [d["copy"] for d in sendblue_simulator.control.deliveries()] == [1, 2]
    sendblue_simulator.control.set_duplicate_deliveries(enabled=False)
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="once")
    await sendblue_simulator.control.drain()
    assert len(webhook_receiver.received) == 3


async def test_retry_on_non_2xx_with_bounded_backoff(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Non-2xx is retried after 1 s then 2 s; three attempts at most."""
    control = sendblue_simulator.control
    await add_webhook(
        api, "receive", webhook_receiver.url("/flaky"), webhook_receiver.url("/down")
    )
    webhook_receiver.respond_with("/flaky", [500])
    webhook_receiver.respond_with("/down", [503, 502, 500, 500])
    control.inject_inbound(from_number=CONTACT, content="retry me")
    await control.drain()
    assert [(r.path, r.status) for r in webhook_receiver.received] == [
        ("/flaky", 500),
        ("/down", 503),
    ]
    await control.advance(0.999)
    assert len(webhook_receiver.received) == 2
    await control.advance(0.001)
    assert [(r.path, r.status) for r in webhook_receiver.received[2:]] == [
        ("/flaky", 200),
        ("/down", 502),
    ]
    await control.advance(2)
    assert [(r.path, r.status) for r in webhook_receiver.received[4:]] == [
        ("/down", 500)
    ]
    await control.run_until_idle()
    assert len(webhook_receiver.received) == 5
    attempts = [
        (d["url"].rsplit("/", 1)[-1], d["attempt"], d["status"])
        for d in control.deliveries()
    ]
    assert attempts == [
        ("flaky", 1, 500),
        ("down", 1, 503),
        ("flaky", 2, 200),
        ("down", 2, 502),
        ("down", 3, 500),
    ]


async def test_connection_errors_are_retried(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A refused connection is recorded with its error and retried."""
    await add_webhook(api, "receive", "http://127.0.0.1:9/closed")
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="x")
    await sendblue_simulator.control.run_until_idle()
    deliveries = sendblue_simulator.control.deliveries()
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert all(d["status"] is None and d["error"] for d in deliveries)


async def test_only_loopback_urls_are_called(
    api: aiohttp.ClientSession, sendblue_simulator: Simulator
) -> None:
    """A public URL is recorded as refused, never looked up or called."""
    await add_webhook(api, "receive", "https://example.com/hook")
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="x")
    await sendblue_simulator.control.run_until_idle()
    deliveries = sendblue_simulator.control.deliveries()
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert all(d["status"] is None for d in deliveries)
    assert {d["error"] for d in deliveries} == {NOT_LOOPBACK}


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8123/api/webhook/x", True),
        ("http://127.5.0.1/x", True),
        ("http://[::1]:9/x", True),
        ("http://localhost:8123/x", True),
        ("https://example.com/cb", False),
        ("http://192.168.1.2/x", False),
        ("http://[2001:db8::1]/x", False),
        ("not a url", False),
    ],
)
def test_is_loopback(url: str, *, loopback: bool) -> None:
    """Only this machine's names and addresses count as loopback."""
    assert is_loopback(url) is loopback


async def test_inbound_group_and_media_injection(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Group inbound messages carry group_id, participants and display name."""
    await add_webhook(api, "receive", webhook_receiver.url())
    first = sendblue_simulator.control.inject_inbound(
        from_number=CONTACT,
        to_number=LINE_2,
        content="",
        media_url="https://cdn.example.com/cat.jpg",
        participants=["+15550000004"],
        group_display_name="Cats",
        service="RCS",
    )
    second = sendblue_simulator.control.inject_inbound(
        from_number="+15550000004",
        to_number=LINE_2,
        content="meow",
        group_id=first["group_id"],
    )
    await sendblue_simulator.control.drain()
    body = webhook_receiver.bodies()[0]
    assert body["message_type"] == "group"
    assert body["group_id"] == first["group_id"] == second["group_id"]
    assert body["participants"] == ["+15550000004", CONTACT, LINE_2]
    assert body["group_display_name"] == "Cats"
    assert body["media_url"] == "https://cdn.example.com/cat.jpg"
    assert body["content"] == ""
    assert body["service"] == "RCS"
    assert body["sendblue_number"] == LINE_2
    status, _ = await post(
        api,
        "/api/send-group-message",
        {"group_id": first["group_id"], "from_number": LINE_2, "content": "hi"},
    )
    assert status == 200


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (
            {"from_number": CONTACT, "to_number": "+19998887777", "content": "x"},
            "not a line",
        ),
        ({"from_number": "555", "content": "x"}, "from_number must be"),
        ({"from_number": CONTACT}, "content or media_url"),
        ({"from_number": CONTACT, "media_url": "ftp://x"}, "media_url must be"),
        ({"from_number": CONTACT, "content": "x", "service": "Fax"}, "service must be"),
        (
            {"from_number": CONTACT, "content": "x", "group_id": "nope"},
            "unknown group_id",
        ),
    ],
)
async def test_inject_inbound_validation(
    sendblue_simulator: Simulator, kwargs: dict[str, Any], error: str
) -> None:
    """Bad injections raise ValueError."""
    with pytest.raises(ValueError, match=error):
        sendblue_simulator.control.inject_inbound(**kwargs)


async def test_typing_injection(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """Contact typing goes to typing_indicator webhooks."""
    await add_webhook(
        api, "typing_indicator", {"url": webhook_receiver.url(), "secret": "t"}
    )
    sendblue_simulator.control.inject_typing(from_number=CONTACT)
    sendblue_simulator.control.inject_typing(
        from_number=CONTACT, to_number=LINE_2, is_typing=False
    )
    await sendblue_simulator.control.drain()
    assert webhook_receiver.bodies() == [
        {
            "number": CONTACT,
            "is_typing": True,
            "from_number": LINE_1,
            "timestamp": "2026-01-01T12:00:00.000Z",
        },
        {
            "number": CONTACT,
            "is_typing": False,
            "from_number": LINE_2,
            "timestamp": "2026-01-01T12:00:00.000Z",
        },
    ]
    assert webhook_receiver.received[0].headers["sb-signing-secret"] == "t"
    with pytest.raises(ValueError, match="to_number a line"):
        sendblue_simulator.control.inject_typing(
            from_number=CONTACT, to_number="+19998887777"
        )
