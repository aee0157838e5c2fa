"""Tests for the webhook Sendblue calls, through Home Assistant's HTTP stack."""

import gzip
import json
import logging
from http import HTTPStatus
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.components import webhook
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util.aiohttp import MockRequest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sendblue.const import (
    CONF_ALLOWED_SENDERS,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_TYPING_INDICATOR,
    MAX_WEBHOOK_BODY,
)

from .conftest import (
    CONTACT,
    EMAIL,
    LINE_1,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
    load_json,
)

PATH = f"/api/webhook/{WEBHOOK_ID}"
HEADERS = {"sb-signing-secret": WEBHOOK_SECRET}

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.fixture
async def client(hass_client_no_auth: ClientSessionGenerator) -> TestClient:
    """Return an HTTP client for Home Assistant without authentication."""
    return await hass_client_no_auth()


async def post(client: TestClient, body: Any, **kwargs: Any) -> int:  # noqa: ANN401
    """POST a JSON body with the right secret and return the status."""
    response = await client.post(PATH, json=body, headers=HEADERS, **kwargs)
    return response.status


async def test_message_received_event(
    hass: HomeAssistant, client: TestClient, init_integration: MockConfigEntry
) -> None:
    """The documented inbound payload fires one event with the documented fields."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    payload = load_json("webhook_message_received.json")

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert len(events) == 1
    assert events[0].data == {
        "config_entry_id": init_integration.entry_id,
        "line": LINE_1,
        "message_handle": "99DCC379-DD76-4712-BA65-11EFB33B8CD6",
        "content": "Hello!",
        "media_url": None,
        "from_number": CONTACT,
        "to_number": LINE_1,
        "service": "iMessage",
        "is_group": False,
        "group_id": None,
        "group_display_name": None,
        "participants": [CONTACT, LINE_1],
        "date_sent": "2025-12-12T15:41:20.932000+00:00",
        # Delivered as it happened, not found by a listing afterwards.
        "replayed": False,
        "payload": payload,
    }


async def test_event_entity_and_activity(
    hass: HomeAssistant, client: TestClient
) -> None:
    """The line's event entity and last-received sensor follow an inbound text."""
    entity_id = "event.1_512_216_4639_messages"
    assert hass.states.get(entity_id).state == STATE_UNKNOWN
    assert hass.states.get("sensor.1_512_216_4639_last_received").state == STATE_UNKNOWN

    last_sent = hass.states.get("sensor.1_512_216_4639_last_sent")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await post(client, load_json("webhook_message_received.json"))
    await hass.async_block_till_done()

    # Only the sensor whose time moved writes its state.
    unchanged = hass.states.get("sensor.1_512_216_4639_last_sent")
    assert unchanged.last_reported == last_sent.last_reported
    state = hass.states.get(entity_id)
    assert state.attributes["event_type"] == "message_received"
    assert state.attributes["content"] == "Hello!"
    # One text, one context: the logbook links the entity's change to the event.
    assert [event.context.id for event in events] == [state.context.id]
    assert state.attributes["payload"]["message_handle"] == (
        "99DCC379-DD76-4712-BA65-11EFB33B8CD6"
    )
    entity = hass.data["entity_components"]["event"].get_entity(entity_id)
    assert "payload" in entity._state_info["unrecorded_attributes"]
    assert state.attributes["from_number"] == CONTACT
    assert (
        hass.states.get("sensor.1_512_216_4639_last_received").state
        == "2025-12-12T15:41:20+00:00"
    )


async def test_status_event(
    hass: HomeAssistant, client: TestClient, init_integration: MockConfigEntry
) -> None:
    """An outbound status update fires sendblue_message_status."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    payload = load_json("webhook_status_sent.json")

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert [event.data for event in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "line": LINE_1,
            "message_handle": "5a17319e-cbcf-443e-897e-d8b0c04b1b09",
            "status": "SENT",
            "number": CONTACT,
            "service": "iMessage",
            "error_code": None,
            "error_message": None,
            "was_downgraded": False,
            "date_updated": "2025-12-12T15:35:36.002000+00:00",
            "replayed": False,
            "payload": payload,
        }
    ]
    state = hass.states.get("event.1_512_216_4639_messages")
    assert state.attributes["event_type"] == "message_status"
    assert hass.states.get("sensor.1_512_216_4639_last_sent").state == (
        "2025-12-12T15:35:35+00:00"
    )


async def test_typing_event(
    hass: HomeAssistant, client: TestClient, init_integration: MockConfigEntry
) -> None:
    """A typing indicator fires sendblue_typing_indicator."""
    events = async_capture_events(hass, EVENT_TYPING_INDICATOR)
    payload = load_json("webhook_typing.json")

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert [event.data for event in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "line": LINE_1,
            "number": CONTACT,
            "is_typing": True,
            "replayed": False,
            "timestamp": "2025-12-12T15:41:18+00:00",
            "payload": payload,
        }
    ]
    state = hass.states.get("event.1_512_216_4639_messages")
    assert state.attributes["event_type"] == "typing"


async def test_typing_with_line_in_number(
    hass: HomeAssistant, client: TestClient
) -> None:
    """A typing payload naming our line in `number` still finds line and contact."""
    events = async_capture_events(hass, EVENT_TYPING_INDICATOR)
    payload = {"number": LINE_1, "is_typing": False, "from_number": CONTACT}

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert events[0].data["line"] == LINE_1
    assert events[0].data["number"] == CONTACT
    assert events[0].data["timestamp"] is None


async def test_duplicates_fire_once(hass: HomeAssistant, client: TestClient) -> None:
    """Sendblue's repeated deliveries fire each event once."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    typing = async_capture_events(hass, EVENT_TYPING_INDICATOR)
    sent = load_json("webhook_status_sent.json")
    delivered = {**sent, "status": "DELIVERED"}

    for body in (
        load_json("webhook_message_received.json"),
        load_json("webhook_message_received.json"),
        sent,
        sent,
        delivered,
        delivered,
        load_json("webhook_typing.json"),
        load_json("webhook_typing.json"),
    ):
        assert await post(client, body) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert len(received) == 1
    assert [event.data["status"] for event in status] == ["SENT", "DELIVERED"]
    assert len(typing) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"sb-signing-secret": "wrong"}, {"sb-signing-secret": WEBHOOK_SECRET + "x"}],
)
async def test_wrong_secret_rejected(
    hass: HomeAssistant,
    client: TestClient,
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the entry's secret the call gets 401 and a closed connection."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    payload = load_json("webhook_message_received.json")

    for _ in range(3):
        response = await client.post(PATH, json=payload, headers=headers)
        assert response.status == HTTPStatus.UNAUTHORIZED
        # Closed, so aiohttp never reads (or inflates) the rest of the body.
        assert response.headers["Connection"] == "close"
    await hass.async_block_till_done()

    assert events == []
    refused = [r for r in caplog.records if "Refused a call" in r.getMessage()]
    assert len(refused) == 1
    assert refused[0].levelno == logging.WARNING
    assert WEBHOOK_SECRET not in caplog.text
    assert EMAIL not in caplog.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", HTTPStatus.BAD_REQUEST),
        (b"\xff\xfe\x00", HTTPStatus.BAD_REQUEST),
        (b"[1, 2]", HTTPStatus.BAD_REQUEST),
        (b'"text"', HTTPStatus.BAD_REQUEST),
        (b"{}", HTTPStatus.BAD_REQUEST),
        (b'{"message_handle": 5}', HTTPStatus.BAD_REQUEST),
        (b"x" * (MAX_WEBHOOK_BODY + 1), HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    ],
)
async def test_malformed_bodies(
    hass: HomeAssistant, client: TestClient, body: bytes, status: HTTPStatus
) -> None:
    """Bodies that are not a Sendblue payload are refused and fire nothing."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    response = await client.post(
        PATH, data=body, headers={**HEADERS, "Content-Type": "application/json"}
    )
    assert response.status == status
    assert events == []


async def test_oversized_chunked_body(client: TestClient) -> None:
    """A body without Content-Length is still cut off at the limit."""

    async def chunks() -> Any:  # noqa: ANN401
        for _ in range(MAX_WEBHOOK_BODY // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(PATH, data=chunks(), headers=HEADERS)
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


async def test_chunked_body(hass: HomeAssistant, client: TestClient) -> None:
    """A body that arrives in chunks without Content-Length is read whole."""
    body = json.dumps(
        {**load_json("webhook_message_received.json"), "pad": "x" * 70000}
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    async def chunks() -> Any:  # noqa: ANN401
        for start in range(0, len(body), 30000):
            yield body[start : start + 30000].encode()

    response = await client.post(PATH, data=chunks(), headers=HEADERS)
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["payload"]["pad"] == "x" * 70000


async def test_get_not_allowed(client: TestClient) -> None:
    """Only POST is registered."""
    response = await client.get(PATH, headers=HEADERS)
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED


async def test_unknown_values_tolerated(
    hass: HomeAssistant, client: TestClient
) -> None:
    """New fields and unknown status or service values do not break the handler."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    payload = {
        **load_json("webhook_status_sent.json"),
        "status": "TELEPORTED",
        "service": "Carrier Pigeon",
        "brand_new_field": {"nested": [1, 2, 3]},
        "date_updated": "not a date",
    }

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert events[0].data["status"] == "UNKNOWN"
    assert events[0].data["service"] == "unknown"
    assert events[0].data["date_updated"] is None


async def test_group_message(hass: HomeAssistant, client: TestClient) -> None:
    """A group text carries its group fields."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    payload = {
        **load_json("webhook_message_received.json"),
        "message_handle": "GROUP-1",
        "message_type": "group",
        "group_id": "sb_group_1",
        "group_display_name": "Family",
        "participants": [CONTACT, "+19998880000", LINE_1],
        "media_url": "https://cdn.example.com/pic.jpg",
    }

    assert await post(client, payload) == HTTPStatus.OK
    await hass.async_block_till_done()

    data = events[0].data
    assert data["is_group"] is True
    assert data["group_id"] == "sb_group_1"
    assert data["group_display_name"] == "Family"
    assert data["participants"] == [CONTACT, "+19998880000", LINE_1]
    assert data["media_url"] == "https://cdn.example.com/pic.jpg"


async def test_allowed_senders(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Only allowed senders fire inbound events; status events always fire."""
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALLOWED_SENDERS: ["+15550001111"]}
    )
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    typing = async_capture_events(hass, EVENT_TYPING_INDICATOR)
    allowed = {
        **load_json("webhook_message_received.json"),
        "message_handle": "ALLOWED",
        "from_number": "+15550001111",
    }

    for body in (
        load_json("webhook_message_received.json"),
        allowed,
        load_json("webhook_status_sent.json"),
        load_json("webhook_typing.json"),
    ):
        assert await post(client, body) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert [event.data["message_handle"] for event in received] == ["ALLOWED"]
    assert len(status) == 1
    assert typing == []


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        # Compressed bodies are refused unread without the secret...
        ({"Content-Encoding": "gzip"}, gzip.compress(b"\0" * 1_000_000), 401),
        ({"Content-Encoding": "gzip"}, b"\x1f\x8bcorrupt", 401),
        # ...and read with it (a corrupt one is a 400, also closed).
        ({**HEADERS, "Content-Encoding": "gzip"}, b"\x1f\x8bcorrupt", 400),
    ],
)
async def test_compressed_bodies(
    hass: HomeAssistant,
    client: TestClient,
    headers: dict[str, str],
    body: bytes,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused request is answered at once and its connection closed."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for _ in range(5):
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == status
        assert response.headers["Connection"] == "close"
    await hass.async_block_till_done()
    assert events == []
    # No traceback and at most the one warning about refused calls.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING][1:] == []


async def test_accepted_delivery_gets_a_bare_200(client: TestClient) -> None:
    """Sendblue needs only a 2xx: an accepted delivery gets 200 and no body."""
    response = await client.post(
        PATH, json=load_json("webhook_message_received.json"), headers=HEADERS
    )
    assert response.status == HTTPStatus.OK
    assert await response.read() == b""


async def test_authenticated_gzip_body_is_read(
    hass: HomeAssistant, client: TestClient
) -> None:
    """With the secret a compressed body is inflated and handled as usual."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    body = json.dumps(load_json("webhook_message_received.json")).encode()
    response = await client.post(
        PATH,
        data=gzip.compress(body),
        headers={
            **HEADERS,
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_cloudhook_refusal(hass: HomeAssistant) -> None:
    """A refused call through Home Assistant Cloud gets its status, nothing else."""
    request = MockRequest(
        content=b"{}",
        mock_source="cloud",
        method="POST",
        headers={"sb-signing-secret": "wrong"},
    )
    response = await webhook.async_handle_webhook(hass, WEBHOOK_ID, request)
    assert response.status == HTTPStatus.UNAUTHORIZED
