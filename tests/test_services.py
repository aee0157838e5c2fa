"""Tests for the Sendblue actions."""

import asyncio
import json
import re
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from unittest.mock import ANY, AsyncMock, patch

import probatio as vol
import pytest
from aiohttp import web
from homeassistant.components.camera import Image
from homeassistant.components.http import HomeAssistantView
from homeassistant.components.media_source import PlayMedia
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.selector import validate_selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.sendblue.api import (
    Contact,
    ContactSharingState,
    Group,
    GroupModification,
    LineRequest,
    LinesState,
    LinesUsage,
    MarkReadResult,
    MediaObject,
    Message,
    MessagesPage,
    ModifyType,
    NewContact,
    Reaction,
    ReactionResult,
    SendblueAuthenticationError,
    SendblueConnectionError,
    SendblueError,
    SendblueInputError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueTimeoutError,
    SendblueValidationError,
    SendStyle,
    ServiceEvaluation,
    TypingIndicatorResult,
    TypingState,
    UploadedFile,
)
from custom_components.sendblue.const import (
    CONF_DEFAULT_LINE,
    CONF_RECEIVE_MODE,
    DOMAIN,
)
from custom_components.sendblue.send import MAX_UPLOAD_BYTES
from custom_components.sendblue.services import ACTIONS

from .conftest import CONTACT, LINE_1, LINE_2, WEBHOOK_ID, WEBHOOK_SECRET, load_json

COMPONENT = Path(__file__).parent.parent / "custom_components" / DOMAIN
EXCEPTIONS = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))[
    "exceptions"
]
OTHER = "+14155550100"
EMAIL_TO = "friend@icloud.com"
UNKNOWN_LINE = "+15550000000"
HANDLE = "5a17319e-cbcf-443e-897e-d8b0c04b1b09"
CDN_URL = "https://cdn.example.com/x.png"
PNG = b"\x89PNG\r\n\x1a\nfake"
LOCAL_MEDIA = {
    "media_content_id": "media-source://media_source/local/x.png",
    "media_content_type": "image/png",
}

SENT = Message.from_dict(load_json("webhook_status_sent.json"))
SENT_RESULT = {"message_handle": HANDLE, "status": "SENT", "service": "iMessage"}
GROUP_SENT = Message.from_dict(
    {**load_json("webhook_status_sent.json"), "group_id": "grp-1"}
)
QUEUED = Message.from_dict({"status": "QUEUED"})
GROUP = Group.from_dict({"status": "OK", "group_id": "grp-1"})
MODIFIED = GroupModification.from_dict(
    {"status": "OK", "group_id": "grp-1", "number": EMAIL_TO}
)
REACTION = ReactionResult.from_dict(
    {"status": "OK", "message_handle": HANDLE, "reaction": "love"}
)
MARKED = MarkReadResult.from_dict({"status": "OK", "number": CONTACT})
TYPING = TypingIndicatorResult.from_dict({"status": "SENT", "number": CONTACT})
EVALUATION = ServiceEvaluation.from_dict({"number": EMAIL_TO, "service": "iMessage"})
PAGE = MessagesPage.from_dict(
    {
        "status": "OK",
        "data": [load_json("webhook_message_received.json")],
        "pagination": {"hasMore": True, "limit": 2, "offset": 4, "total": 9},
    }
)
CONTACT_MODEL = Contact.from_dict(
    {"phone": CONTACT, "first_name": "Ada", "tags": ["vip"], "verified": True}
)
SHARING = ContactSharingState.from_dict(
    {"status": "OK", "data": {"hasProfile": True, "firstName": "Casa"}}
)
HOSTED = MediaObject.from_dict(
    {"status": "OK", "mediaObjectId": "MO_1.jpg", "media_url": CDN_URL}
)
LINE_REQUEST = LineRequest.from_dict(
    {"status": "OK", "data": {"id": "lr-1", "status": "OPEN", "desiredAreaCode": "415"}}
)
NO_CONTENT = {"media_url": None, "send_style": None, "reply_to": None}


async def call(
    hass: HomeAssistant,
    action: str,
    data: dict[str, Any],
    *,
    return_response: bool = True,
) -> ServiceResponse:
    """Run an action and wait for it."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=return_response
    )


def assert_translated(
    err: HomeAssistantError, key: str, placeholders: dict[str, str]
) -> None:
    """Assert the error's translation, and that its English message is filled in."""
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert err.translation_placeholders == placeholders
    template = EXCEPTIONS[key]["message"]
    message = str(err)
    assert "{" not in message
    for name, value in placeholders.items():
        assert value in message or f"{{{name}}}" not in template


@pytest.fixture(autouse=True)
def no_platforms() -> Generator[None]:
    """Set entries up without their entity platforms: actions do not need them."""
    with patch("custom_components.sendblue.PLATFORMS", []):
        yield


@pytest.fixture
def client(
    init_integration: MockConfigEntry, mock_sendblue_client: AsyncMock
) -> AsyncMock:
    """Return the mocked client of the loaded entry, forgetting its setup calls."""
    mock_sendblue_client.reset_mock()
    return mock_sendblue_client


@pytest.fixture
async def local_media(hass: HomeAssistant, tmp_path: Path) -> None:
    """Serve tmp_path as the local media folder, holding x.png."""
    (tmp_path / "x.png").write_bytes(PNG)
    hass.config.media_dirs = {"local": str(tmp_path)}
    assert await async_setup_component(hass, "media_source", {})


ACTION_CASES = [
    (
        "send_message",
        {"to": CONTACT, "message": "Hello"},
        "send_message",
        SENT,
        {"number": CONTACT, "from_number": LINE_1, "content": "Hello", **NO_CONTENT},
        True,
    ),
    (
        "send_message",
        {
            "to": [EMAIL_TO],
            "message": "Hi",
            "media_url": CDN_URL,
            "send_style": "slam",
            "from_number": LINE_2,
            "reply_to": "h-0",
        },
        "send_message",
        SENT,
        {
            "number": EMAIL_TO,
            "from_number": LINE_2,
            "content": "Hi",
            "media_url": CDN_URL,
            "send_style": SendStyle.SLAM,
            "reply_to": "h-0",
        },
        True,
    ),
    (
        "send_group_message",
        {"to": f"{CONTACT}, {OTHER}", "message": "Hi"},
        "send_group_message",
        GROUP_SENT,
        {
            "from_number": LINE_1,
            "numbers": [CONTACT, OTHER],
            "content": "Hi",
            **NO_CONTENT,
        },
        True,
    ),
    (
        "send_group_message",
        {"group_id": "grp-1", "media_url": CDN_URL},
        "send_group_message",
        GROUP_SENT,
        {
            "from_number": LINE_1,
            "group_id": "grp-1",
            "content": None,
            **NO_CONTENT,
            "media_url": CDN_URL,
        },
        True,
    ),
    (
        "send_group_message",
        {"to": [CONTACT, OTHER], "message": "Hi", "send_style": "echo"},
        "send_group_message",
        QUEUED,
        {
            "from_number": LINE_1,
            "numbers": [CONTACT, OTHER],
            "content": "Hi",
            **NO_CONTENT,
            "send_style": SendStyle.ECHO,
        },
        True,
    ),
    (
        "create_group",
        {"members": [CONTACT, OTHER], "name": "Family"},
        "create_group",
        GROUP,
        {"from_number": LINE_1, "numbers": [CONTACT, OTHER], "group_name": "Family"},
        True,
    ),
    (
        "modify_group",
        {"group_id": "grp-1", "number": EMAIL_TO, "action": "add"},
        "modify_group",
        MODIFIED,
        {
            "group_id": "grp-1",
            "modify_type": ModifyType.ADD_RECIPIENT,
            "number": EMAIL_TO,
            "from_number": None,
        },
        True,
    ),
    (
        "modify_group",
        {
            "group_id": "grp-1",
            "number": OTHER,
            "action": "remove",
            "from_number": LINE_2,
        },
        "modify_group",
        MODIFIED,
        {
            "group_id": "grp-1",
            "modify_type": ModifyType.REMOVE_RECIPIENT,
            "number": OTHER,
            "from_number": LINE_2,
        },
        True,
    ),
    (
        "send_reaction",
        {"message_handle": HANDLE, "reaction": "love", "part_index": 1},
        "send_reaction",
        REACTION,
        {
            "from_number": LINE_1,
            "message_handle": HANDLE,
            "reaction": Reaction.LOVE,
            "part_index": 1,
        },
        True,
    ),
    (
        "mark_read",
        {"number": CONTACT, "from_number": LINE_2},
        "mark_read",
        MARKED,
        {"number": CONTACT, "from_number": LINE_2},
        True,
    ),
    (
        "send_typing_indicator",
        {"number": CONTACT},
        "send_typing_indicator",
        TYPING,
        {
            "number": CONTACT,
            "from_number": LINE_1,
            "state": TypingState.START,
            "max_duration_ms": None,
        },
        True,
    ),
    (
        "send_typing_indicator",
        {"number": CONTACT, "state": "stop", "duration": 2.5},
        "send_typing_indicator",
        TYPING,
        {
            "number": CONTACT,
            "from_number": LINE_1,
            "state": TypingState.STOP,
            "max_duration_ms": 2500,
        },
        True,
    ),
    (
        "evaluate_service",
        {"number": EMAIL_TO},
        "evaluate_service",
        EVALUATION,
        {"number": EMAIL_TO},
        True,
    ),
    (
        "get_message_status",
        {"message_handle": HANDLE},
        "get_message_status",
        SENT,
        {"message_handle": HANDLE},
        True,
    ),
    (
        "get_message",
        {"message_handle": HANDLE},
        "get_message",
        SENT,
        {"message_id": HANDLE},
        True,
    ),
    (
        "list_messages",
        {
            "limit": 2,
            "offset": 4,
            "order_by": "updated_at",
            "order_direction": "asc",
            "is_outbound": False,
            "message_type": "message",
            "status": "received",
            "service": "imessage",
            "sendblue_number": LINE_1,
            "created_at_gte": "2026-01-01T10:00:00+00:00",
            # A time without zone is Home Assistant's (US/Pacific in tests).
            "updated_at_lte": "2026-01-01 10:00:00",
        },
        "list_messages",
        PAGE,
        {
            "limit": 2,
            "offset": 4,
            "order_by": "updatedAt",
            "order_direction": "asc",
            "is_outbound": False,
            "message_type": "message",
            "status": "received",
            "service": "imessage",
            "sendblue_number": LINE_1,
            "created_at_gte": datetime(2026, 1, 1, 10, tzinfo=UTC),
            "updated_at_lte": datetime(2026, 1, 1, 18, tzinfo=UTC),
        },
        True,
    ),
    (
        "list_messages",
        {},
        "list_messages",
        MessagesPage.from_dict({"data": []}),
        {},
        True,
    ),
    (
        "delete_message",
        {"message_handle": HANDLE},
        "delete_message",
        None,
        {"message_handle": HANDLE},
        False,
    ),
    (
        "list_contacts",
        {
            "limit": 10,
            "offset": 5,
            "order_direction": "desc",
            "number": CONTACT,
            "created_at_gte": "2026-01-02T03:04:05+00:00",
        },
        "list_contacts",
        [CONTACT_MODEL],
        {
            "limit": 10,
            "offset": 5,
            "order_direction": "desc",
            "phone_number": CONTACT,
            "created_at_gte": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        },
        True,
    ),
    (
        "list_contacts",
        {"contact_id": "c-1"},
        "list_contacts",
        [],
        {"contact_id": "c-1"},
        True,
    ),
    (
        "get_contact",
        {"number": CONTACT},
        "get_contact",
        CONTACT_MODEL,
        {"number": CONTACT},
        True,
    ),
    (
        "create_contact",
        {
            "number": CONTACT,
            "first_name": "Ada",
            "tags": "vip",
            "custom_variables": {"plan": "gold"},
            "sendblue_number": LINE_2,
            "update_if_exists": True,
        },
        "create_contact",
        CONTACT_MODEL,
        {
            "number": CONTACT,
            "first_name": "Ada",
            "tags": ["vip"],
            "custom_variables": {"plan": "gold"},
            "sendblue_number": LINE_2,
            "update_if_exists": True,
        },
        True,
    ),
    (
        "create_contacts",
        {
            "contacts": [
                {"number": CONTACT, "first_name": "Ada", "tags": ["vip"]},
                {"number": OTHER, "custom_variables": {"plan": "gold"}},
            ]
        },
        "create_contacts",
        [CONTACT_MODEL],
        {
            "contacts": [
                NewContact(phone=CONTACT, first_name="Ada", tags=("vip",)),
                NewContact(phone=OTHER, custom_variables={"plan": "gold"}),
            ]
        },
        True,
    ),
    (
        "update_contact",
        {"number": CONTACT, "last_name": "Lovelace", "opt_out": True},
        "update_contact",
        CONTACT_MODEL,
        {"number": CONTACT, "last_name": "Lovelace", "opt_out": True},
        True,
    ),
    (
        "delete_contact",
        {"number": CONTACT},
        "delete_contact",
        None,
        {"number": CONTACT},
        False,
    ),
    (
        "delete_contacts",
        {"numbers": f"{CONTACT}, {OTHER}, {CONTACT}"},
        "delete_contacts",
        2,
        {"numbers": [CONTACT, OTHER]},
        True,
    ),
    (
        "get_contact_sharing_state",
        {},
        "get_contact_sharing_state",
        SHARING,
        {"from_number": LINE_1},
        True,
    ),
    (
        "set_contact_sharing_profile",
        {
            "first_name": "Casa",
            "last_name": "Smith",
            "photo_url": CDN_URL,
            "from_number": LINE_2,
        },
        "set_contact_sharing_profile",
        SHARING,
        {
            "from_number": LINE_2,
            "first_name": "Casa",
            "last_name": "Smith",
            "photo_url": CDN_URL,
            "display_name": None,
        },
        True,
    ),
    (
        "upload_media",
        {"media_url": "https://files.example.com/a.jpg?signature=1"},
        "upload_media_object",
        HOSTED,
        {"media_url": "https://files.example.com/a.jpg?signature=1"},
        True,
    ),
    (
        "request_line",
        {"desired_area_code": "415"},
        "request_line",
        LINE_REQUEST,
        {"desired_area_code": "415"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("action", "data", "method", "result", "kwargs", "responds"),
    ACTION_CASES,
    ids=[case[0] for case in ACTION_CASES],
)
async def test_action(  # noqa: PLR0913 - one argument per column of the cases
    hass: HomeAssistant,
    client: AsyncMock,
    action: str,
    data: dict[str, Any],
    method: str,
    result: object,
    kwargs: dict[str, Any],
    *,
    responds: bool,
    snapshot: SnapshotAssertion,
) -> None:
    """Each action calls the client with exactly its fields and returns JSON."""
    getattr(client, method).return_value = result

    answer = await call(hass, action, data, return_response=responds)

    assert answer == snapshot
    assert (answer is not None) is responds
    assert json.loads(json.dumps(answer)) == answer
    getattr(client, method).assert_awaited_once_with(**kwargs)
    assert len(client.mock_calls) == 1


INVALID_CASES = [
    (
        "send_message",
        {"to": [CONTACT, "12345"], "message": "Hi"},
        "invalid_number",
        {"field": "To", "number": "12345"},
    ),
    ("send_message", {"to": [], "message": "Hi"}, "no_recipient", {"field": "To"}),
    ("send_message", {"to": CONTACT, "message": ""}, "nothing_to_send", {}),
    (
        "send_message",
        {"to": CONTACT, "message": "x" * 18996},
        "message_too_long",
        {"length": "18996", "max": "18995"},
    ),
    (
        "send_message",
        {"to": CONTACT, "message": "Hi", "from_number": UNKNOWN_LINE},
        "unknown_line",
        {"line": UNKNOWN_LINE},
    ),
    (
        "send_message",
        {"to": CONTACT, "message": "Hi", "send_style": "wobble"},
        "invalid_send_style",
        {"send_style": "wobble"},
    ),
    (
        "send_message",
        {"to": CONTACT, "media_url": CDN_URL, "media": LOCAL_MEDIA},
        "exclusive_fields",
        {"first": "Media URL", "second": "Media"},
    ),
    (
        "send_group_message",
        {"message": "Hi"},
        "missing_fields",
        {"first": "Members", "second": "Group ID"},
    ),
    (
        "send_group_message",
        {"to": [CONTACT, OTHER], "group_id": "grp-1", "message": "Hi"},
        "exclusive_fields",
        {"first": "Members", "second": "Group ID"},
    ),
    (
        "send_group_message",
        {"to": [CONTACT, EMAIL_TO], "message": "Hi"},
        "invalid_phone",
        {"field": "Members", "number": EMAIL_TO},
    ),
    (
        "create_group",
        {"members": [CONTACT, "555"]},
        "invalid_phone",
        {"field": "Members", "number": "555"},
    ),
    (
        "modify_group",
        {"group_id": "grp-1", "number": "bob", "action": "add"},
        "invalid_number",
        {"field": "Number", "number": "bob"},
    ),
    (
        "modify_group",
        {
            "group_id": "grp-1",
            "number": OTHER,
            "action": "add",
            "from_number": UNKNOWN_LINE,
        },
        "unknown_line",
        {"line": UNKNOWN_LINE},
    ),
    (
        "send_reaction",
        {"message_handle": HANDLE, "reaction": "heart"},
        "invalid_reaction",
        {"reaction": "heart"},
    ),
    (
        "mark_read",
        {"number": EMAIL_TO},
        "invalid_phone",
        {"field": "Number", "number": EMAIL_TO},
    ),
    (
        "evaluate_service",
        {"number": "bob"},
        "invalid_number",
        {"field": "Number", "number": "bob"},
    ),
    (
        "upload_media",
        {},
        "missing_fields",
        {"first": "Media URL", "second": "Media"},
    ),
    (
        "create_contact",
        {"number": CONTACT, "sendblue_number": UNKNOWN_LINE},
        "unknown_line",
        {"line": UNKNOWN_LINE},
    ),
    (
        "create_contacts",
        {"contacts": [{"number": CONTACT}, {"number": "bad"}]},
        "invalid_phone",
        {"field": "Contacts", "number": "bad"},
    ),
    (
        "delete_contacts",
        {"numbers": []},
        "no_recipient",
        {"field": "Numbers"},
    ),
    (
        "list_contacts",
        {"number": "4155550100"},
        "invalid_phone",
        {"field": "Number", "number": "4155550100"},
    ),
]


@pytest.mark.parametrize(
    ("action", "data", "key", "placeholders"),
    INVALID_CASES,
    ids=[case[2] for case in INVALID_CASES],
)
async def test_invalid_input_sends_nothing(
    hass: HomeAssistant,
    client: AsyncMock,
    action: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Bad input is a translated validation error naming it, and nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, data)

    assert_translated(err.value, key, placeholders)
    assert client.mock_calls == []


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("send_typing_indicator", {"number": CONTACT, "duration": 301}),
        ("list_messages", {"limit": 101}),
        ("list_messages", {"order_by": "createdAt"}),
        ("modify_group", {"group_id": "g", "number": OTHER, "action": "swap"}),
        ("send_message", {"to": CONTACT, "media_url": "not a url"}),
        (
            "send_reaction",
            {"message_handle": HANDLE, "reaction": "love", "part_index": -1},
        ),
        ("send_message", {"to": CONTACT, "message": "Hi", "unknown": 1}),
    ],
)
async def test_schema_rejects(
    hass: HomeAssistant, client: AsyncMock, action: str, data: dict[str, Any]
) -> None:
    """Out-of-range or malformed fields fail the schema before anything runs."""
    with pytest.raises(vol.Invalid):
        await call(hass, action, data)
    assert client.mock_calls == []


@pytest.mark.parametrize(
    ("error", "cls", "key", "placeholders"),
    [
        (
            SendblueConnectionError("no route to host"),
            HomeAssistantError,
            "connection_error",
            {"error": "no route to host"},
        ),
        (
            SendblueTimeoutError("took too long"),
            HomeAssistantError,
            "timeout_error",
            {"error": "took too long"},
        ),
        (
            SendblueRateLimitError("Too many requests", status=429, retry_after=30.0),
            HomeAssistantError,
            "rate_limited",
            {"error": "Too many requests", "retry_after": "30"},
        ),
        (
            SendblueRateLimitError("Too many requests", status=429),
            HomeAssistantError,
            "rate_limited",
            {"error": "Too many requests", "retry_after": "a few"},
        ),
        (
            SendblueValidationError("The from_number is not registered", status=400),
            HomeAssistantError,
            "rejected",
            {"error": "The from_number is not registered"},
        ),
        (
            SendblueInputError("number must be E.164", field="number"),
            ServiceValidationError,
            "rejected",
            {"error": "number must be E.164"},
        ),
        (
            SendblueServerError("Internal error", status=500),
            HomeAssistantError,
            "server_error",
            {"error": "Internal error"},
        ),
        (
            SendblueNotFoundError("Not found", status=404),
            HomeAssistantError,
            "not_found",
            {"error": "Not found"},
        ),
        (
            SendblueError("Something new", status=418),
            HomeAssistantError,
            "unknown_error",
            {"error": "Something new"},
        ),
    ],
)
async def test_api_error(
    hass: HomeAssistant,
    client: AsyncMock,
    error: SendblueError,
    cls: type[HomeAssistantError],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A client error becomes a translated error carrying Sendblue's message."""
    client.mark_read.side_effect = error

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "mark_read", {"number": CONTACT})

    assert type(err.value) is cls
    assert_translated(err.value, key, placeholders)
    assert not hass.config_entries.flow.async_progress()


@pytest.mark.parametrize(
    ("action", "data", "method"),
    [
        ("mark_read", {"number": CONTACT}, "mark_read"),
        ("send_message", {"to": CONTACT, "message": "Hi"}, "send_message"),
        (
            "send_group_message",
            {"to": [CONTACT, OTHER], "message": "Hi"},
            "send_group_message",
        ),
        (
            "send_group_message",
            {"group_id": "grp-1", "message": "Hi"},
            "send_group_message",
        ),
        ("upload_media", {"media": LOCAL_MEDIA}, "upload_file"),
    ],
)
@pytest.mark.usefixtures("local_media")
async def test_auth_error_starts_reauth(
    hass: HomeAssistant,
    client: AsyncMock,
    init_integration: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    method: str,
) -> None:
    """Sendblue refusing the key raises and asks the user for the secret again."""
    getattr(client, method).side_effect = SendblueAuthenticationError(
        "Unauthorized", status=401
    )

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, action, data)
    await hass.async_block_till_done()

    assert err.value.translation_key == "authentication_error"
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id


async def test_fan_out_partial_failure(
    hass: HomeAssistant, client: AsyncMock, init_integration: MockConfigEntry
) -> None:
    """One failing recipient stops no other; the response says who failed and why.

    With retry_for 0 a failure is not queued, as before the outbox.
    """
    too_many = SendblueRateLimitError("Too many", status=429, retry_after=12.0)

    async def send(*, number: str, **_: object) -> Message:
        if number == OTHER:
            raise too_many
        if number == EMAIL_TO:
            return QUEUED
        return Message.from_dict(
            {"status": "QUEUED", "service": "SMS", "message_handle": f"h-{number}"}
        )

    client.send_message.side_effect = send

    response = await call(
        hass,
        "send_message",
        {"to": [CONTACT, OTHER, EMAIL_TO, CONTACT], "message": "Hi", "retry_for": 0},
    )

    assert response == {
        "messages": [
            {
                "to": CONTACT,
                "message_handle": f"h-{CONTACT}",
                "status": "QUEUED",
                "service": "SMS",
            },
            {
                "to": OTHER,
                "error": "Too many",
                "error_key": "rate_limited",
                "retry_after": "12",
            },
            {
                "to": EMAIL_TO,
                "message_handle": None,
                "status": "QUEUED",
                "service": None,
            },
        ]
    }
    # The repeated recipient gets one message.
    assert client.send_message.await_count == 3
    assert init_integration.runtime_data.sent_lines.line_for(f"h-{CONTACT}") == LINE_1


async def test_fan_out_is_concurrent(hass: HomeAssistant, client: AsyncMock) -> None:
    """Every recipient's send is under way before any of them finishes."""
    everyone_started = asyncio.Event()
    started: list[str] = []

    async def send(*, number: str, **_: object) -> Message:
        started.append(number)
        if len(started) == 3:
            everyone_started.set()
        await everyone_started.wait()
        return SENT

    client.send_message.side_effect = send

    # One at a time, the first send would wait forever; the timeout fails the test.
    async with asyncio.timeout(5):
        response = await call(
            hass, "send_message", {"to": [CONTACT, OTHER, EMAIL_TO], "message": "Hi"}
        )

    assert started == [CONTACT, OTHER, EMAIL_TO]
    assert [result["to"] for result in response["messages"]] == started


async def test_fan_out_all_fail(hass: HomeAssistant, client: AsyncMock) -> None:
    """When no recipient got the message the action fails, so automations notice."""
    client.send_message.side_effect = SendblueConnectionError("down")

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "send_message",
            {"to": [CONTACT, OTHER], "message": "Hi", "retry_for": "00:00:00"},
        )

    assert err.value.translation_key == "connection_error"
    assert client.send_message.await_count == 2


async def test_fan_out_all_queued(hass: HomeAssistant, client: AsyncMock) -> None:
    """Sendblue down: every recipient is queued, and the action does not fail."""
    client.send_message.side_effect = SendblueConnectionError("down")

    response = await call(
        hass, "send_message", {"to": [CONTACT, OTHER], "message": "Hi"}
    )

    results = response["messages"]
    assert [(r["to"], r["status"]) for r in results] == [
        (CONTACT, "queued"),
        (OTHER, "queued"),
    ]
    assert all(r["outbox_id"] and r["message_handle"] is None for r in results)
    assert len({r["outbox_id"] for r in results}) == 2


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("send_message", {"to": CONTACT, "message": "Hi"}),
        ("send_group_message", {"group_id": "grp-1", "message": "Hi"}),
        ("send_group_message", {"to": [CONTACT, OTHER], "message": "Hi"}),
    ],
)
@pytest.mark.parametrize("retry_for", [-1, "-00:01:00", "24:00:01", "soon", True])
async def test_retry_for_refused(
    hass: HomeAssistant,
    client: AsyncMock,
    action: str,
    data: dict[str, Any],
    retry_for: object,
) -> None:
    """A retry_for that is not 0 to 24 hours is refused, naming the field."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, {**data, "retry_for": retry_for})

    assert_translated(
        err.value,
        "invalid_retry_for",
        {"field": "Keep trying for", "value": str(retry_for)},
    )
    assert client.mock_calls == []


async def test_group_by_members_queued(hass: HomeAssistant, client: AsyncMock) -> None:
    """A group named by its members that cannot go yet is queued without an id."""
    client.send_group_message.side_effect = SendblueServerError("down", status=503)

    response = await call(
        hass, "send_group_message", {"to": [CONTACT, OTHER], "message": "Hi"}
    )

    assert response == {
        "group_id": None,
        "message_handle": None,
        "status": "queued",
        "service": None,
        "outbox_id": ANY,
    }


@pytest.mark.parametrize(
    ("remembered", "expected"),
    [(LINE_2, LINE_2), (UNKNOWN_LINE, LINE_1), (None, LINE_1)],
)
async def test_reaction_line_defaults_to_line_of_message(
    hass: HomeAssistant,
    client: AsyncMock,
    init_integration: MockConfigEntry,
    remembered: str | None,
    expected: str,
) -> None:
    """A reaction goes through the line the message went through, if still ours."""
    if remembered:
        init_integration.runtime_data.sent_lines.remember(HANDLE, remembered)
    client.send_reaction.return_value = REACTION

    await call(hass, "send_reaction", {"message_handle": HANDLE, "reaction": "LIKE"})

    client.send_reaction.assert_awaited_once_with(
        from_number=expected,
        message_handle=HANDLE,
        reaction=Reaction.LIKE,
        part_index=None,
    )


async def test_reaction_to_received_message_uses_its_line(
    hass: HomeAssistant,
    client: AsyncMock,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A message Sendblue delivered to line 2 gets its reaction from line 2."""
    payload = {
        **load_json("webhook_message_received.json"),
        "to_number": LINE_2,
        "sendblue_number": LINE_2,
    }
    http = await hass_client_no_auth()
    answer = await http.post(
        f"/api/webhook/{WEBHOOK_ID}",
        json=payload,
        headers={"sb-signing-secret": WEBHOOK_SECRET},
    )
    assert answer.status == HTTPStatus.OK
    client.send_reaction.return_value = REACTION

    await call(
        hass,
        "send_reaction",
        {"message_handle": payload["message_handle"], "reaction": "question"},
    )

    assert client.send_reaction.await_args.kwargs["from_number"] == LINE_2


async def test_reply_and_reaction_follow_line_of_sent_message(
    hass: HomeAssistant, client: AsyncMock
) -> None:
    """After sending from line 2, replies and reactions to it default to line 2."""
    client.send_message.return_value = SENT
    client.send_reaction.return_value = REACTION
    await call(
        hass, "send_message", {"to": CONTACT, "message": "Hi", "from_number": LINE_2}
    )

    await call(
        hass, "send_message", {"to": CONTACT, "message": "Again", "reply_to": HANDLE}
    )
    await call(hass, "send_reaction", {"message_handle": HANDLE, "reaction": "laugh"})

    assert client.send_message.await_args.kwargs["from_number"] == LINE_2
    assert client.send_message.await_args.kwargs["reply_to"] == HANDLE
    assert client.send_reaction.await_args.kwargs["from_number"] == LINE_2


async def add_entry(
    hass: HomeAssistant, *, load: bool, default_line: str | None = None
) -> MockConfigEntry:
    """Add a second Sendblue account, set up or not."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="second@example.com",
        unique_id="key-id-second",
        data={
            "api_key_id": "key-id-second",
            "api_secret_key": "secret-second",
            CONF_WEBHOOK_ID: "second-webhook",
        },
        options={CONF_RECEIVE_MODE: "off", CONF_DEFAULT_LINE: default_line},
    )
    entry.add_to_hass(hass)
    if load:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry


async def test_entry_is_optional_with_one_loaded(
    hass: HomeAssistant, client: AsyncMock, init_integration: MockConfigEntry
) -> None:
    """With one loaded account, config_entry_id may be left out or given."""
    client.mark_read.return_value = MARKED
    second = await add_entry(hass, load=False)

    await call(hass, "mark_read", {"number": CONTACT})
    await call(
        hass,
        "mark_read",
        {"number": CONTACT, "config_entry_id": init_integration.entry_id},
    )
    assert client.mark_read.await_count == 2

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "mark_read", {"number": CONTACT, "config_entry_id": second.entry_id}
        )
    assert err.value.translation_domain == "homeassistant"
    assert err.value.translation_key == "service_config_entry_not_loaded"
    assert err.value.translation_placeholders == {
        "domain": DOMAIN,
        "entry_title": "second@example.com",
    }

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "mark_read", {"number": CONTACT, "config_entry_id": "nope"})
    assert err.value.translation_key == "service_config_entry_not_found"
    assert err.value.translation_placeholders == {"domain": DOMAIN, "entry_id": "nope"}


async def test_entry_required_with_two_loaded(
    hass: HomeAssistant, client: AsyncMock
) -> None:
    """With two loaded accounts the call must say which; the named one is used."""
    client.mark_read.return_value = MARKED
    second = await add_entry(hass, load=True, default_line=LINE_2)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "mark_read", {"number": CONTACT})
    assert err.value.translation_key == "service_found_multiple_config_entry_for_domain"

    await call(
        hass, "mark_read", {"number": CONTACT, "config_entry_id": second.entry_id}
    )
    # The second account's options make line 2 its default.
    client.mark_read.assert_awaited_once_with(number=CONTACT, from_number=LINE_2)


async def test_actions_stay_registered_without_entry(
    hass: HomeAssistant, client: AsyncMock, init_integration: MockConfigEntry
) -> None:
    """Unloading keeps the actions (automations validate); calling them says why not."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(ACTIONS)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "mark_read", {"number": CONTACT})
    assert err.value.translation_key == "service_config_entry_not_loaded"


async def test_list_lines(hass: HomeAssistant, client: AsyncMock) -> None:
    """Lines come from the last poll, with state, usage and the default marked."""
    state = LinesState.from_dict(load_json("lines_state.json")).lines
    usage = LinesUsage.from_dict(load_json("lines_usage.json")).lines

    response = await call(hass, "list_lines", {})

    assert response == {
        "lines": [
            {
                "number": LINE_1,
                "default": True,
                "status": "ONLINE",
                "state": state[0].to_dict(),
                "usage": usage[0].to_dict(),
            },
            {
                "number": LINE_2,
                "default": False,
                "status": "DEGRADED",
                "state": state[1].to_dict(),
                "usage": usage[1].to_dict(),
            },
        ]
    }
    assert client.mock_calls == []


async def test_list_lines_refresh(hass: HomeAssistant, client: AsyncMock) -> None:
    """Refresh asks Sendblue first; without lines nothing can be sent."""
    client.list_lines.return_value = []

    assert await call(hass, "list_lines", {"refresh": True}) == {"lines": []}
    client.list_lines.assert_awaited_once_with()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_message", {"to": CONTACT, "message": "Hi"})
    assert err.value.translation_key == "no_line"


async def test_list_lines_refresh_fails(hass: HomeAssistant, client: AsyncMock) -> None:
    """A failed refresh is an error, not the old data."""
    client.list_lines.side_effect = SendblueConnectionError("down")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_lines", {"refresh": True})

    assert err.value.translation_key == "refresh_failed"
    assert "down" in err.value.translation_placeholders["error"]


@pytest.mark.usefixtures("local_media")
async def test_send_message_uploads_media(
    hass: HomeAssistant, client: AsyncMock
) -> None:
    """A media item is uploaded once and its URL sent to every recipient."""
    client.upload_file.return_value = UploadedFile.from_dict({"media_url": CDN_URL})
    client.send_message.return_value = SENT

    await call(hass, "send_message", {"to": [CONTACT, OTHER], "media": LOCAL_MEDIA})

    client.upload_file.assert_awaited_once_with(
        data=PNG, filename="x.png", content_type="image/png"
    )
    assert [c.kwargs for c in client.send_message.await_args_list] == [
        {
            "number": number,
            "from_number": LINE_1,
            "content": None,
            **NO_CONTENT,
            "media_url": CDN_URL,
        }
        for number in (CONTACT, OTHER)
    ]


@pytest.mark.usefixtures("local_media")
async def test_upload_media_file(hass: HomeAssistant, client: AsyncMock) -> None:
    """upload_media returns the URL Sendblue gave the uploaded file."""
    client.upload_file.return_value = UploadedFile.from_dict(
        {"status": "OK", "media_url": CDN_URL, "mediaObjectId": "x.png"}
    )

    assert await call(hass, "upload_media", {"media": LOCAL_MEDIA}) == {
        "media_url": CDN_URL
    }


async def test_upload_camera_snapshot(hass: HomeAssistant, client: AsyncMock) -> None:
    """A camera in the media selector sends a snapshot of it."""
    client.upload_file.return_value = UploadedFile.from_dict({"media_url": CDN_URL})
    snapshot = Image(content_type="image/jpeg", content=b"jpeg bytes")
    media = {
        "media_content_id": "media-source://camera/camera.porch",
        "media_content_type": "image/jpeg",
    }

    with patch(
        "homeassistant.components.camera.async_get_image", return_value=snapshot
    ) as get_image:
        await call(hass, "upload_media", {"media": media})

    get_image.assert_awaited_once_with(hass, "camera.porch")
    client.upload_file.assert_awaited_once_with(
        data=b"jpeg bytes", filename="snapshot.jpg", content_type="image/jpeg"
    )


@pytest.mark.usefixtures("local_media")
@pytest.mark.parametrize(
    ("media_id", "upload", "key"),
    [
        ("media-source://media_source/nowhere/x.png", None, "media_not_found"),
        (
            LOCAL_MEDIA["media_content_id"],
            UploadedFile.from_dict({}),
            "upload_without_url",
        ),
        (
            LOCAL_MEDIA["media_content_id"],
            SendblueConnectionError("down"),
            "connection_error",
        ),
    ],
)
async def test_upload_media_fails(
    hass: HomeAssistant,
    client: AsyncMock,
    media_id: str,
    upload: object,
    key: str,
) -> None:
    """Unreadable media and failed uploads are translated errors."""
    client.upload_file.side_effect = [upload]

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "upload_media",
            {
                "media": {
                    "media_content_id": media_id,
                    "media_content_type": "image/png",
                }
            },
        )

    assert err.value.translation_key == key


class ClipView(HomeAssistantView):
    """Serve a clip the way a media source's remote URL would."""

    url = "/test/clip.mp4"
    name = "test:clip"
    requires_auth = False

    async def get(self, request: web.Request) -> web.Response:  # noqa: ARG002 - aiohttp
        """Return the clip."""
        return web.Response(body=b"clip bytes", content_type="video/mp4")


REMOTE_MEDIA = {
    "media_content_id": "media-source://radio/clip",
    "media_content_type": "video/mp4",
}


@pytest.fixture
async def clip_url(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> Callable[[str], str]:
    """Serve ClipView and return the absolute URL of a path on that server."""
    hass.http.register_view(ClipView())
    http = await hass_client_no_auth()
    return lambda path: str(http.make_url(path))


def resolving_to(url: str) -> AbstractContextManager[object]:
    """Make every media-source item resolve to url."""
    return patch(
        "homeassistant.components.media_source.async_resolve_media",
        return_value=PlayMedia(url=url, mime_type="video/mp4"),
    )


async def test_media_from_url(
    hass: HomeAssistant, client: AsyncMock, clip_url: Callable[[str], str]
) -> None:
    """Media a source resolves to a web address is downloaded, then uploaded."""
    client.upload_file.return_value = UploadedFile.from_dict({"media_url": CDN_URL})

    with resolving_to(clip_url("/test/clip.mp4?token=1")):
        response = await call(hass, "upload_media", {"media": REMOTE_MEDIA})

    assert response == {"media_url": CDN_URL}
    client.upload_file.assert_awaited_once_with(
        data=b"clip bytes", filename="clip.mp4", content_type="video/mp4"
    )


@pytest.mark.parametrize(
    ("path", "absolute", "limit", "key"),
    [
        ("/test/missing.mp4", True, MAX_UPLOAD_BYTES, "media_not_found"),
        ("/test/clip.mp4", True, 3, "media_too_large"),
        ("/api/tts_proxy/x.mp3", False, MAX_UPLOAD_BYTES, "media_not_found"),
    ],
)
async def test_media_from_url_fails(
    hass: HomeAssistant,
    client: AsyncMock,
    clip_url: Callable[[str], str],
    path: str,
    absolute: bool,  # noqa: FBT001 - a pytest parameter
    limit: int,
    key: str,
) -> None:
    """Missing, too large or not downloadable media is refused; nothing is sent."""
    with (
        resolving_to(clip_url(path) if absolute else path),
        patch("custom_components.sendblue.send.MAX_UPLOAD_BYTES", limit),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, "send_message", {"to": CONTACT, "media": REMOTE_MEDIA})

    assert err.value.translation_key == key
    assert client.mock_calls == []


@pytest.mark.usefixtures("local_media")
async def test_media_too_large(hass: HomeAssistant, client: AsyncMock) -> None:
    """A file over Sendblue's limit is refused before it is uploaded."""
    with (
        patch("custom_components.sendblue.send.MAX_UPLOAD_BYTES", len(PNG) - 1),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, "send_message", {"to": CONTACT, "media": LOCAL_MEDIA})

    assert err.value.translation_key == "media_too_large"
    assert client.mock_calls == []


def test_actions_are_described() -> None:
    """services.yaml, translations and icons describe every action and field."""
    yaml = load_yaml_dict(str(COMPONENT / "services.yaml"))
    strings = json.loads((COMPONENT / "translations" / "en.json").read_text("utf-8"))
    icons = json.loads((COMPONENT / "icons.json").read_text(encoding="utf-8"))

    assert set(yaml) == set(ACTIONS)
    for name, (_, schema, _) in ACTIONS.items():
        fields = yaml[name]["fields"]
        assert set(fields) == {str(key) for key in schema.schema}, name
        texts = strings["services"][name]
        assert texts["name"]
        assert texts["description"]
        assert icons["services"][name]["service"].startswith("mdi:")
        for field, description in fields.items():
            assert texts["fields"][field]["name"], (name, field)
            assert texts["fields"][field]["description"], (name, field)
            selector = validate_selector(description["selector"])
            select = selector.get("select", {})
            if "translation_key" in select:
                labels = strings["selector"][select["translation_key"]]["options"]
                assert set(labels) == set(select["options"]), (name, field)


def test_raised_keys_are_translated() -> None:
    """Every error key the actions raise has a message."""
    sources = "".join(
        (COMPONENT / name).read_text(encoding="utf-8")
        for name in ("services.py", "send.py", "inputs.py", "errors.py")
    )
    keys = set(re.findall(r'invalid\(\s*"(\w+)"', sources))
    keys |= set(re.findall(r'translation_key="(\w+)"', sources))
    keys |= set(re.findall(r'Sendblue\w+Error, "(\w+)"\)', sources))
    assert keys
    assert keys <= set(EXCEPTIONS)


async def test_templated_numbers(hass: HomeAssistant, client: AsyncMock) -> None:
    """Numbers a template rendered as integers (the + dropped) still send."""
    client.send_message.return_value = SENT
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "reply": {
                    "sequence": [
                        {
                            "action": "sendblue.send_message",
                            "data": {
                                "to": "{{ contact }}",
                                "from_number": "{{ line }}",
                                "message": "Got it",
                            },
                        }
                    ]
                }
            }
        },
    )
    await hass.services.async_call(
        "script",
        "reply",
        {"contact": CONTACT, "line": LINE_2},
        blocking=True,
    )
    client.send_message.assert_awaited_once_with(
        number=CONTACT, from_number=LINE_2, content="Got it", **NO_CONTENT
    )


async def test_legacy_notify_templated_target(
    hass: HomeAssistant, client: AsyncMock
) -> None:
    """notify.sendblue takes a number its schema turned into digits."""
    client.send_message.return_value = SENT
    await hass.services.async_call(
        "notify",
        DOMAIN,
        {"message": "hi", "target": [int(CONTACT)]},
        blocking=True,
    )
    assert client.send_message.await_args.kwargs["number"] == CONTACT
