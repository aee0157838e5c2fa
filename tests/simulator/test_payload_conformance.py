"""Delivered webhook bodies match the reference samples (§11.2, §11.4)."""

import re
from typing import Any

import aiohttp
import pytest

from sendblue_simulator import Simulator, WebhookReceiver

pytestmark = pytest.mark.usefixtures("socket_enabled")

# §11.2, verbatim from the current docs (receiving-messages).
INBOUND_SAMPLE: dict[str, Any] = {
    "accountEmail": "your-account-email",
    "content": "Hello!",
    "is_outbound": False,
    "status": "RECEIVED",
    "error_code": None,
    "error_message": None,
    "error_reason": None,
    "message_handle": "99DCC379-DD76-4712-BA65-11EFB33B8CD6",
    "date_sent": "2025-12-12T15:41:20.932Z",
    "date_updated": "2025-12-12T15:41:20.995Z",
    "from_number": "+19998887777",
    "number": "+19998887777",
    "to_number": "+15122164639",
    "was_downgraded": None,
    "plan": "dedicated",
    "media_url": "",
    "message_type": "message",
    "group_id": "",
    "participants": ["+19998887777", "+15122164639"],
    "send_style": "",
    "opted_out": False,
    "error_detail": None,
    "sendblue_number": "+15122164639",
    "service": "iMessage",
    "group_display_name": None,
}
# §11.2 outbound SENT example (the docs show its beginning; "same schema").
OUTBOUND_SENT_START: dict[str, Any] = {
    "accountEmail": "your-account-email",
    "content": "Hello world!",
    "is_outbound": True,
    "status": "SENT",
    "error_code": None,
    "error_message": None,
    "error_reason": None,
    "message_handle": "5a17319e-cbcf-443e-897e-d8b0c04b1b09",
    "date_sent": "2025-12-12T15:35:35.410Z",
}
# §11.4, the typing_indicator webhook.
TYPING_SAMPLE: dict[str, Any] = {
    "number": "+19998887777",
    "is_typing": True,
    "from_number": "+15122164639",
    "timestamp": "2025-12-12T15:41:20.932Z",
}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def assert_same_shape(actual: dict[str, Any], sample: dict[str, Any]) -> None:
    """Assert the same keys in the same order and the same JSON type per value."""
    assert list(actual) == list(sample)
    for key, value in sample.items():
        assert type(actual[key]) is type(value), key
        if isinstance(value, list):
            assert all(isinstance(item, str) for item in actual[key]), key


async def register(api: aiohttp.ClientSession, kind: str, url: str) -> None:
    """Register one webhook."""
    async with api.post(
        "/api/account/webhooks", json={"webhooks": [url], "type": kind}
    ) as resp:
        assert resp.status == 200


async def test_inbound_receive_payload_matches_sample(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """An injected 1:1 text produces exactly the §11.2 inbound shape."""
    await register(api, "receive", webhook_receiver.url())
    sendblue_simulator.control.inject_inbound(
        from_number="+19998887778", to_number="+15125550101", content="Hello!"
    )
    await sendblue_simulator.control.drain()
    (body,) = webhook_receiver.bodies()
    assert_same_shape(body, INBOUND_SAMPLE)
    assert body | {"message_handle": "X", "date_sent": "X", "date_updated": "X"} == {
        **INBOUND_SAMPLE,
        "accountEmail": "demo@example.com",
        "from_number": "+19998887778",
        "number": "+19998887778",
        "to_number": "+15125550101",
        "participants": ["+19998887778", "+15125550101"],
        "sendblue_number": "+15125550101",
        "message_handle": "X",
        "date_sent": "X",
        "date_updated": "X",
    }
    assert ISO_MS.match(body["date_sent"])
    assert ISO_MS.match(body["date_updated"])
    assert UUID.match(body["message_handle"].lower())
    assert body["message_handle"] == body["message_handle"].upper()  # Apple GUID style


async def test_outbound_status_payload_matches_sample(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """The SENT status webhook has the same schema with is_outbound true."""
    await register(api, "outbound", webhook_receiver.url())
    body = {
        "number": "+19998887776",
        "from_number": "+15125550101",
        "content": "Hello world!",
    }
    async with api.post("/api/send-message", json=body) as resp:
        sent = await resp.json()
    await sendblue_simulator.control.drain()
    by_status = {b["status"]: b for b in webhook_receiver.bodies()}
    assert list(by_status) == ["QUEUED", "SENT", "DELIVERED"]
    sent_body = by_status["SENT"]
    assert list(sent_body) == list(INBOUND_SAMPLE)
    assert list(sent_body)[: len(OUTBOUND_SENT_START)] == list(OUTBOUND_SENT_START)
    for key, value in {**INBOUND_SAMPLE, **OUTBOUND_SENT_START}.items():
        if key == "was_downgraded":
            assert isinstance(sent_body[key], bool)
        else:
            assert type(sent_body[key]) is type(value), key
    assert sent_body["is_outbound"] is True
    assert sent_body["message_handle"] == sent["message_handle"]
    assert UUID.match(sent_body["message_handle"])
    assert sent_body["from_number"] == sent_body["sendblue_number"] == "+15125550101"
    assert sent_body["number"] == sent_body["to_number"] == "+19998887776"
    assert sent_body["content"] == "Hello world!"
    assert sent_body["error_reason"] is None


async def test_typing_payload_matches_sample(
    api: aiohttp.ClientSession,
    sendblue_simulator: Simulator,
    webhook_receiver: WebhookReceiver,
) -> None:
    """The typing webhook is exactly {number, is_typing, from_number, timestamp}."""
    await register(api, "typing_indicator", webhook_receiver.url())
    sendblue_simulator.control.inject_typing(from_number="+19998887777")
    await sendblue_simulator.control.drain()
    (body,) = webhook_receiver.bodies()
    assert_same_shape(body, TYPING_SAMPLE)
    assert ISO_MS.match(body["timestamp"])
