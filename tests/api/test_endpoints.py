"""Every endpoint: the request that goes out and the typed result that comes back."""

import inspect
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from custom_components.sendblue.api import (
    Contact,
    MessageStatus,
    MessageType,
    ModifyType,
    NewContact,
    Reaction,
    SendblueClient,
    SendblueInputError,
    SendblueValidationError,
    SendStyle,
    Service,
    TypingState,
    WebhookConfiguration,
    Webhooks,
    WebhookType,
    validation,
)
from custom_components.sendblue.api import client as client_module

from .conftest import FIXTURES, FakeSendblue, Reply

LINE = "+15122164639"
USER = "+19998887777"
OTHER = "+19998886666"
HANDLE = "5a17319e-cbcf-443e-897e-d8b0c04b1b09"
HOOK = "https://example.com/hook"
SIGNING = "whsec"  # the webhook signing value
GLOBAL = "g"
CONTACT = {"phone": USER, "first_name": "Ada", "tags": ["vip"]}

# method, kwargs, (HTTP method, raw path), reply, JSON sent, query sent, expected
# (a dict of attributes of the result, or the result itself).
CASES = [
    pytest.param(
        "get_account",
        {},
        ("GET", "/account"),
        {"status": "OK", "accountEmail": "me@example.com", "companyName": "Acme"},
        None,
        {},
        {"email": "me@example.com", "company_name": "Acme", "status": "OK"},
        id="get_account",
    ),
    pytest.param(
        "list_lines",
        {},
        ("GET", "/api/lines"),
        {"numbers": [LINE, OTHER, 5, ""]},
        None,
        {},
        [LINE, OTHER],
        id="list_lines",
    ),
    pytest.param(
        "get_lines_state",
        {},
        ("GET", "/api/v2/lines/state"),
        FIXTURES["lines_state"],
        None,
        {},
        {"snapshot_at": datetime(2026, 1, 5, 10, tzinfo=UTC)},
        id="get_lines_state",
    ),
    pytest.param(
        "get_lines_usage",
        {},
        ("GET", "/api/v2/lines/usage"),
        FIXTURES["lines_usage"],
        None,
        {},
        {"enabled": True},
        id="get_lines_usage",
    ),
    pytest.param(
        "send_message",
        {
            "number": USER,
            "from_number": LINE,
            "content": "Hello world!",
            "media_url": "https://picsum.photos/200/300.jpg",
            "send_style": "INVISIBLE",
            "status_callback": "https://example.com/status",
            "reply_to": HANDLE,
            "reply_to_part_index": 1,
        },
        ("POST", "/api/send-message"),
        FIXTURES["send_message"],
        {
            "number": USER,
            "from_number": LINE,
            "content": "Hello world!",
            "media_url": "https://picsum.photos/200/300.jpg",
            "send_style": "invisible",
            "status_callback": "https://example.com/status",
            "reply_to": {"message_handle": HANDLE, "part_index": 1},
        },
        {},
        {"status": MessageStatus.QUEUED, "send_style": "invisible"},
        id="send_message",
    ),
    pytest.param(
        "send_message",
        {"number": "friend@icloud.com", "media_url": "https://cdn.example.com/a.vcf"},
        ("POST", "/api/send-message"),
        {"message_handle": "h", "status": "QUEUED"},
        {"number": "friend@icloud.com", "media_url": "https://cdn.example.com/a.vcf"},
        {},
        {"message_handle": "h"},
        id="send_message_minimal",
    ),
    pytest.param(
        "send_group_message",
        {
            "from_number": LINE,
            "numbers": (USER, OTHER),
            "content": "Hello group!",
            "send_style": SendStyle.SLAM,
            "reply_to": HANDLE,
        },
        ("POST", "/api/send-group-message"),
        FIXTURES["send_group_message"],
        {
            "from_number": LINE,
            "numbers": [USER, OTHER],
            "content": "Hello group!",
            "send_style": "slam",
            "reply_to": {"message_handle": HANDLE},
        },
        {},
        {
            "message_type": MessageType.GROUP,
            "group_id": "sb_group_608acc54-1111-2222-3333-444455556666",
            "recipients": (USER, OTHER),
            "number": None,
        },
        id="send_group_message",
    ),
    pytest.param(
        "send_group_message",
        {"from_number": LINE, "group_id": "sb_group_1", "content": "Again"},
        ("POST", "/api/send-group-message"),
        {"message_handle": "h", "group_id": "sb_group_1", "status": "QUEUED"},
        {"from_number": LINE, "group_id": "sb_group_1", "content": "Again"},
        {},
        {"group_id": "sb_group_1"},
        id="send_group_message_by_id",
    ),
    pytest.param(
        "create_group",
        {"from_number": LINE, "numbers": [USER, OTHER], "group_name": "Family"},
        ("POST", "/api/create-group"),
        {"status": "OK", "data": {"group_id": "sb_group_2"}},
        {"from_number": LINE, "numbers": [USER, OTHER], "group_name": "Family"},
        {},
        {"group_id": "sb_group_2", "status": "OK"},
        id="create_group",
    ),
    pytest.param(
        "modify_group",
        {
            "group_id": "sb_group_1",
            "modify_type": ModifyType.ADD_RECIPIENT,
            "number": "friend@icloud.com",
        },
        ("POST", "/api/modify-group"),
        {"group_id": "sb_group_1", "modify_type": "add_recipient", "status": "OK"},
        {
            "group_id": "sb_group_1",
            "modify_type": "add_recipient",
            "number": "friend@icloud.com",
        },
        {},
        {"modify_type": "add_recipient", "status": "OK", "error": None},
        id="modify_group",
    ),
    pytest.param(
        "get_message_status",
        {"message_handle": HANDLE},
        ("GET", "/api/status"),
        {**FIXTURES["send_message"], "status": "DELIVERED"},
        None,
        {"handle": HANDLE},
        {"status": MessageStatus.DELIVERED},
        id="get_message_status",
    ),
    pytest.param(
        "evaluate_service",
        {"number": "friend@icloud.com"},
        ("GET", "/api/evaluate-service"),
        {"number": "friend@icloud.com", "service": "iMessage"},
        None,
        {"number": "friend@icloud.com"},
        {"service": Service.IMESSAGE},
        id="evaluate_service",
    ),
    pytest.param(
        "list_messages",
        {
            "limit": 2,
            "offset": 0,
            "order_by": "updatedAt",
            "order_direction": "ASC",
            "is_outbound": True,
            "message_type": "message",
            "status": MessageStatus.DELIVERED,
            "service": "sms",
            "sendblue_number": LINE,
        },
        ("GET", "/api/v2/messages"),
        FIXTURES["messages_page"],
        None,
        {
            "limit": "2",
            "offset": "0",
            "order_by": "updatedAt",
            "order_direction": "asc",
            "is_outbound": "true",
            "message_type": "message",
            "status": "DELIVERED",
            "service": "SMS",
            "sendblue_number": LINE,
        },
        {"has_more": True, "total": 3},
        id="list_messages",
    ),
    pytest.param(
        "get_message",
        {"message_id": HANDLE},
        ("GET", f"/api/v2/messages/{HANDLE}"),
        {"status": "OK", "data": FIXTURES["messages_page"]["data"][0]},
        None,
        {},
        {"message_handle": HANDLE, "status": MessageStatus.DELIVERED},
        id="get_message",
    ),
    pytest.param(
        "delete_message",
        {"message_handle": HANDLE},
        ("DELETE", f"/api/message/{HANDLE}"),
        {"status": "OK"},
        None,
        {},
        None,
        id="delete_message",
    ),
    pytest.param(
        "send_reaction",
        {
            "from_number": LINE,
            "message_handle": HANDLE,
            "reaction": Reaction.LOVE,
            "part_index": 0,
        },
        ("POST", "/api/send-reaction"),
        {
            "status": "OK",
            "message": "Reaction request sent",
            "message_handle": HANDLE,
            "reaction": "love",
        },
        {
            "from_number": LINE,
            "message_handle": HANDLE,
            "reaction": "love",
            "part_index": 0,
        },
        {},
        {"reaction": "love", "message": "Reaction request sent", "status": "OK"},
        id="send_reaction",
    ),
    pytest.param(
        "mark_read",
        {"number": USER, "from_number": LINE},
        ("POST", "/api/mark-read"),
        {"status": "OK", "message": "Mark read request sent", "number": USER},
        {"number": USER, "from_number": LINE},
        {},
        {"number": USER, "message": "Mark read request sent"},
        id="mark_read",
    ),
    pytest.param(
        "send_typing_indicator",
        {"number": USER, "from_number": LINE, "state": "STOP", "max_duration_ms": 5000},
        ("POST", "/api/send-typing-indicator"),
        {"status": "QUEUED", "status_code": 200, "error_message": None, "number": USER},
        {"number": USER, "from_number": LINE, "state": "stop", "max_duration_ms": 5000},
        {},
        {"status": "QUEUED", "number": USER, "error_message": None},
        id="send_typing_indicator",
    ),
    pytest.param(
        "upload_media_object",
        {"media_url": "https://signed.example.com/a.jpg?sig=1"},
        ("POST", "/api/upload-media-object"),
        {
            "status": "OK",
            "message": "File uploaded successfully",
            "mediaObjectId": "MO_1.jpg",
        },
        {"media_url": "https://signed.example.com/a.jpg?sig=1"},
        {},
        {"media_object_id": "MO_1.jpg", "media_url": None},
        id="upload_media_object",
    ),
    pytest.param(
        "list_contacts",
        {
            "limit": 50,
            "offset": 10,
            "order_by": "created_at",
            "order_direction": "desc",
            "phone_number": USER,
            "contact_id": "c_123",
            "created_at_gte": "2025-01-01",
        },
        ("GET", "/api/v2/contacts"),
        FIXTURES["contacts"],
        None,
        {
            "limit": "50",
            "offset": "10",
            "order_by": "created_at",
            "order_direction": "desc",
            "phone_number": USER,
            "cid": "c_123",
            "created_at_gte": "2025-01-01",
        },
        [
            Contact.from_dict(FIXTURES["contacts"][0]),
            Contact.from_dict(FIXTURES["contacts"][1]),
        ],
        id="list_contacts",
    ),
    pytest.param(
        "list_contacts",
        {},
        ("GET", "/api/v2/contacts"),
        {"status": "OK", "contacts": [CONTACT, "junk"]},
        None,
        {},
        [Contact.from_dict(CONTACT)],
        id="list_contacts_enveloped",
    ),
    pytest.param(
        "count_contacts",
        {},
        ("GET", "/api/v2/contacts/count"),
        {"count": 7},
        None,
        {},
        7,
        id="count_contacts",
    ),
    pytest.param(
        "get_contact",
        {"number": USER},
        ("GET", "/api/v2/contacts/%2B19998887777"),
        {"status": "OK", "contact": CONTACT},
        None,
        {},
        {"phone": USER, "first_name": "Ada", "tags": ("vip",)},
        id="get_contact",
    ),
    pytest.param(
        "create_contact",
        {
            "number": USER,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company_name": "Acme",
            "assigned_to_email": "agent@example.com",
            "sendblue_number": LINE,
            "tags": ("vip",),
            "custom_variables": {"plan": "gold"},
            "update_if_exists": True,
        },
        ("POST", "/api/v2/contacts"),
        {"status": "OK", "contact": CONTACT},
        {
            "number": USER,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company_name": "Acme",
            "assigned_to_email": "agent@example.com",
            "sendblue_number": LINE,
            "tags": ["vip"],
            "custom_variables": {"plan": "gold"},
            "update_if_exists": True,
        },
        {},
        {"phone": USER},
        id="create_contact",
    ),
    pytest.param(
        "create_contacts",
        {
            "contacts": [
                NewContact(phone=USER, first_name="Ada", tags=("vip",)),
                NewContact(phone=OTHER, custom_variables={"a": "b"}),
            ]
        },
        ("POST", "/api/v2/contacts/bulk"),
        {"status": "OK", "contacts": [CONTACT]},
        {
            "contacts": [
                {"phone": USER, "first_name": "Ada", "tags": ["vip"]},
                {"phone": OTHER, "custom_variables": {"a": "b"}},
            ]
        },
        {},
        [Contact.from_dict(CONTACT)],
        id="create_contacts",
    ),
    pytest.param(
        "create_contacts",
        {"contacts": [NewContact(phone=USER)]},
        ("POST", "/api/v2/contacts/bulk"),
        {"status": "OK"},
        {"contacts": [{"phone": USER}]},
        {},
        [],
        id="create_contacts_without_echo",
    ),
    pytest.param(
        "update_contact",
        {"number": USER, "last_name": "Byron", "opt_out": False, "tags": []},
        ("PUT", "/api/v2/contacts/%2B19998887777"),
        {"status": "OK", "contact": {**CONTACT, "last_name": "Byron"}},
        {"last_name": "Byron", "opt_out": False, "tags": []},
        {},
        {"last_name": "Byron"},
        id="update_contact",
    ),
    pytest.param(
        "update_contact",
        {"number": USER},
        ("PUT", "/api/v2/contacts/%2B19998887777"),
        {"status": "OK", "contact": CONTACT},
        {},
        {},
        {"phone": USER},
        id="update_contact_nothing",
    ),
    pytest.param(
        "delete_contact",
        {"number": USER},
        ("DELETE", "/api/v2/contacts/%2B19998887777"),
        {"status": "OK"},
        None,
        {},
        None,
        id="delete_contact",
    ),
    pytest.param(
        "delete_contacts",
        {"numbers": [USER, OTHER]},
        ("DELETE", "/api/v2/contacts"),
        {"status": "OK", "amount": 1},
        {"contact_ids": [USER, OTHER]},
        {},
        1,
        id="delete_contacts",
    ),
    pytest.param(
        "delete_contacts",
        {"numbers": [USER, OTHER]},
        ("DELETE", "/api/v2/contacts"),
        Reply(204),
        {"contact_ids": [USER, OTHER]},
        {},
        2,
        id="delete_contacts_without_count",
    ),
    pytest.param(
        "set_contact_opt_out",
        {"number": USER, "opted_out": False},
        ("POST", "/api/v2/contacts/opt-out"),
        {"status": "OK", "number": USER, "opted_out": False},
        {"number": USER, "opted_out": False},
        {},
        {"number": USER, "opted_out": False},
        id="set_contact_opt_out",
    ),
    pytest.param(
        "list_webhooks",
        {},
        ("GET", "/api/account/webhooks"),
        FIXTURES["webhooks"],
        None,
        {},
        {"global_secret": "global-whsec"},
        id="list_webhooks",
    ),
    pytest.param(
        "add_webhooks",
        {
            "webhooks": [
                "https://example.com/plain",
                WebhookConfiguration(url=HOOK),
                WebhookConfiguration(url=HOOK, secret=SIGNING),
                WebhookConfiguration(url=HOOK, sendblue_numbers=(LINE,)),
            ],
            "webhook_type": "OUTBOUND",
            "global_secret": GLOBAL,
        },
        ("POST", "/api/account/webhooks"),
        {
            "status": "OK",
            "message": "Webhooks added successfully",
            **FIXTURES["webhooks"],
        },
        {
            "webhooks": [
                "https://example.com/plain",
                HOOK,
                {"url": HOOK, "secret": SIGNING},
                {"url": HOOK, "sendblue_numbers": [LINE]},
            ],
            "type": "outbound",
            "globalSecret": GLOBAL,
        },
        {},
        {"global_secret": "global-whsec"},
        id="add_webhooks",
    ),
    pytest.param(
        "delete_webhooks",
        {"urls": [HOOK], "webhook_type": WebhookType.TYPING_INDICATOR},
        ("DELETE", "/api/account/webhooks"),
        {"status": "OK", "message": "Webhooks deleted"},
        {"webhooks": [HOOK], "type": "typing_indicator"},
        {},
        None,
        id="delete_webhooks",
    ),
    pytest.param(
        "replace_webhooks",
        {
            "webhooks": Webhooks(
                by_type={"receive": (WebhookConfiguration(url=HOOK, secret=SIGNING),)},
                global_secret=GLOBAL,
            )
        },
        ("PUT", "/api/account/webhooks"),
        FIXTURES["webhooks"],
        {
            "webhooks": {
                "receive": [{"url": HOOK, "secret": SIGNING}],
                "globalSecret": GLOBAL,
            }
        },
        {},
        {"global_secret": "global-whsec"},
        id="replace_webhooks",
    ),
    pytest.param(
        "replace_webhooks",
        {"webhooks": Webhooks(by_type={"OUTBOUND": (WebhookConfiguration(url=HOOK),)})},
        ("PUT", "/api/account/webhooks"),
        {"status": "OK", "webhooks": {}},
        {"webhooks": {"outbound": [HOOK]}},
        {},
        {"by_type": {}, "global_secret": None},
        id="replace_webhooks_without_secret",
    ),
    pytest.param(
        "get_contact_sharing_state",
        {"from_number": LINE},
        ("GET", "/api/v2/contact-sharing/state"),
        {
            "status": "OK",
            "data": {"hasProfile": True, "firstName": "Home", "lastName": None},
        },
        None,
        {"fromNumber": LINE},
        {"has_profile": True, "first_name": "Home", "last_name": None},
        id="get_contact_sharing_state",
    ),
    pytest.param(
        "set_contact_sharing_profile",
        {
            "from_number": LINE,
            "first_name": "Home",
            "last_name": "Assistant",
            "photo_url": "https://example.com/p.png",
            "display_name": "HA",
        },
        ("POST", "/api/v2/contact-sharing/profile"),
        {"status": "OK", "data": {"hasProfile": True, "displayName": "HA"}},
        {
            "fromNumber": LINE,
            "firstName": "Home",
            "lastName": "Assistant",
            "photoUrl": "https://example.com/p.png",
            "displayName": "HA",
        },
        {},
        {"has_profile": True, "display_name": "HA"},
        id="set_contact_sharing_profile",
    ),
    pytest.param(
        "preview_line_provisioning",
        {},
        ("POST", "/accounts/lines/provision-preview"),
        {
            "status": "OK",
            "preview_token": "lpv_1",
            "expires_at": "2026-01-05T10:10:00Z",
            "message": "Confirm within 10 minutes",
        },
        {},
        {},
        {
            "preview_token": "lpv_1",
            "expires_at": datetime(2026, 1, 5, 10, 10, tzinfo=UTC),
        },
        id="preview_line_provisioning",
    ),
    pytest.param(
        "confirm_line_provisioning",
        {"preview_token": "lpv_1"},
        ("POST", "/accounts/lines/provision-confirm"),
        {"status": "OK", "message": "Line provisioned", "number": LINE},
        {"preview_token": "lpv_1"},
        {},
        {
            "status": "OK",
            "message": "Line provisioned",
            "raw": {"status": "OK", "message": "Line provisioned", "number": LINE},
        },
        id="confirm_line_provisioning",
    ),
    pytest.param(
        "request_line",
        {"desired_area_code": "415"},
        ("POST", "/accounts/lines/add-line"),
        {"status": "OK", "data": {"id": 42, "type": "PHONE", "status": "OPEN"}},
        {"line_request_type": "phone", "desired_area_code": "415"},
        {},
        {"id": "42", "status": "OPEN"},
        id="request_line",
    ),
    pytest.param(
        "get_line_request",
        {"request_id": "lr_42"},
        ("GET", "/accounts/lines/line-request/lr_42"),
        FIXTURES["line_request"],
        None,
        {},
        {"status": "FULFILLED", "fulfilled_number": "+14155550123"},
        id="get_line_request",
    ),
]


@pytest.mark.parametrize(
    ("method", "kwargs", "route", "reply", "sent_json", "sent_query", "expected"), CASES
)
async def test_endpoint(  # noqa: PLR0913, PLR0917 - one argument per table column
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    kwargs: dict[str, Any],
    route: tuple[str, str],
    reply: object,
    sent_json: object,
    sent_query: dict[str, str],
    expected: object,
) -> None:
    """The request goes out as Sendblue expects and the answer is typed."""
    sendblue.add(*route, reply)
    result = await getattr(client, method)(**kwargs)
    request = sendblue.last
    assert (request.method, request.path) == route
    assert request.json == sent_json
    assert request.query == sent_query
    if isinstance(expected, dict):
        for name, value in expected.items():
            assert getattr(result, name) == value, name
    else:
        assert result == expected


def test_every_method_is_tested() -> None:
    """Each public method of the client has a case here or a test of its own."""
    own_tests = {"iter_message_pages", "upload_file", "stream_events", "close"}
    methods = {
        name
        for name, _ in inspect.getmembers(SendblueClient, inspect.isfunction)
        if not name.startswith("_")
    }
    assert methods == {case.values[0] for case in CASES} | own_tests


async def test_changed_webhooks_fetched_when_not_echoed(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """When adding answers without the webhooks, they are read back."""
    sendblue.add("POST", "/api/account/webhooks", {"status": "OK", "message": "added"})
    sendblue.add("GET", "/api/account/webhooks", FIXTURES["webhooks"])
    webhooks = await client.add_webhooks(webhooks=[HOOK])
    assert sendblue.calls("POST", "/api/account/webhooks")[0].json == {
        "webhooks": [HOOK],
        "type": "receive",
    }
    assert webhooks.urls(WebhookType.RECEIVE) == {"https://example.com/plain", HOOK}


@pytest.mark.parametrize(
    ("method", "kwargs", "path", "reply"),
    [
        (
            "send_typing_indicator",
            {"number": USER, "from_number": LINE},
            "/api/send-typing-indicator",
            FIXTURES["typing_indicator_error"],
        ),
        (
            "send_reaction",
            {"from_number": LINE, "message_handle": HANDLE, "reaction": "like"},
            "/api/send-reaction",
            {"status": "ERROR", "message": "The from_number is not registered"},
        ),
        (
            "mark_read",
            {"number": USER, "from_number": LINE},
            "/api/mark-read",
            {"status": "error", "error_code": "NOT_ENABLED", "message": "Not enabled"},
        ),
        (
            "mark_read",
            {"number": USER, "from_number": LINE},
            "/api/mark-read",
            {"status": "ERROR"},
        ),
    ],
)
async def test_error_in_ok_answer(
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    kwargs: dict[str, Any],
    path: str,
    reply: dict[str, Any],
) -> None:
    """A 200 whose body says ERROR is a validation error with Sendblue's message."""
    sendblue.add("POST", path, reply)
    with pytest.raises(SendblueValidationError) as exc_info:
        await getattr(client, method)(**kwargs)
    assert exc_info.value.status == 200
    message = reply.get("error_message") or reply.get("message")
    assert exc_info.value.message == (message or "Sendblue rejected the request")
    assert exc_info.value.error_code == reply.get("error_code")


async def test_typing_indicator_400(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """The documented 400 for a typing indicator is a validation error too."""
    sendblue.add(
        "POST",
        "/api/send-typing-indicator",
        Reply(400, FIXTURES["typing_indicator_error"]),
    )
    with pytest.raises(SendblueValidationError, match="No route mapping"):
        await client.send_typing_indicator(
            number=USER, from_number=LINE, state=TypingState.START
        )


# -- pagination --------------------------------------------------------------------


def _page(handles: list[str], *, has_more: bool) -> dict[str, Any]:
    """Build a message-list answer."""
    return {
        "status": "OK",
        "data": [{"message_handle": handle, "status": "SENT"} for handle in handles],
        "pagination": {"hasMore": has_more, "limit": 2},
    }


async def test_iter_message_pages(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """Pages are followed by offset until has_more is false, filters kept."""
    sendblue.add(
        "GET",
        "/api/v2/messages",
        _page(["a", "b"], has_more=True),
        _page(["c", "d"], has_more=True),
        _page(["e"], has_more=False),
    )
    pages = [
        page
        async for page in client.iter_message_pages(
            page_size=2, sendblue_number=LINE, is_outbound=False
        )
    ]
    assert [[m.message_handle for m in page.messages] for page in pages] == [
        ["a", "b"],
        ["c", "d"],
        ["e"],
    ]
    assert [request.query for request in sendblue.requests] == [
        {
            "limit": "2",
            "offset": str(offset),
            "sendblue_number": LINE,
            "is_outbound": "false",
        }
        for offset in (0, 2, 4)
    ]


async def test_iter_message_pages_stops_on_empty_page(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """An empty page ends the iteration even if has_more says otherwise."""
    sendblue.add("GET", "/api/v2/messages", _page([], has_more=True))
    pages = [page async for page in client.iter_message_pages()]
    assert len(pages) == 1
    assert sendblue.last.query == {"limit": "100", "offset": "0"}


# -- upload ------------------------------------------------------------------------


async def test_upload_bytes(client: SendblueClient, sendblue: FakeSendblue) -> None:
    """Bytes go out as one multipart field, file, with a guessed content type."""
    sendblue.add("POST", "/api/upload-file", Reply(201, FIXTURES["upload_file"]))
    uploaded = await client.upload_file(data=b"%PDF-1.7", filename="document.pdf")
    assert uploaded.media_url == FIXTURES["upload_file"]["media_url"]
    assert uploaded.media_object_id == "abc123_document.pdf"
    request = sendblue.last
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert request.headers["sb-api-key-id"]
    assert [(p.name, p.filename, p.content_type, p.data) for p in request.parts] == [
        ("file", "document.pdf", "application/pdf", b"%PDF-1.7")
    ]


@pytest.mark.parametrize(
    ("name", "kwargs", "filename", "content_type"),
    [
        ("cat.png", {}, "cat.png", "image/png"),
        ("notes.txt", {}, "notes.txt", "text/plain"),
        ("blob", {}, "blob", "application/octet-stream"),
        ("cat.png", {"filename": "kitty.jpg"}, "kitty.jpg", "image/jpeg"),
        ("cat.png", {"content_type": "image/webp"}, "cat.png", "image/webp"),
    ],
)
async def test_upload_path(
    client: SendblueClient,
    sendblue: FakeSendblue,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    kwargs: dict[str, str],
    filename: str,
    content_type: str,
) -> None:
    """A file is read in a worker thread; its name gives filename and type."""
    readers: list[threading.Thread] = []
    read_upload = client_module._read_upload

    def spy(path: Path) -> bytes:
        readers.append(threading.current_thread())
        return read_upload(path)

    monkeypatch.setattr(client_module, "_read_upload", spy)
    file = tmp_path / name
    file.write_bytes(b"\x00\x01data")
    sendblue.add("POST", "/api/upload-file", Reply(201, FIXTURES["upload_file"]))
    await client.upload_file(path=file, **kwargs)
    assert readers
    assert readers[0] is not threading.main_thread()
    part = sendblue.last.parts[0]
    assert (part.name, part.filename, part.content_type, part.data) == (
        "file",
        filename,
        content_type,
        b"\x00\x01data",
    )


async def test_upload_rebuilt_on_retry(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """A retried upload (429) sends the whole file again."""
    sendblue.add(
        "POST",
        "/api/upload-file",
        Reply(429, {"message": "slow"}, headers={"retry-after-ms": "0"}),
        Reply(201, FIXTURES["upload_file"]),
    )
    await client.upload_file(data=b"abc", filename="a.txt")
    assert [request.parts[0].data for request in sendblue.requests] == [b"abc", b"abc"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "data"),
        ({"data": b"x", "path": "x.txt"}, "data"),
        ({"data": b"x"}, "filename"),
        ({"data": b"x", "filename": " "}, "filename"),
        ({"path": "missing.txt"}, "path"),
        ({"data": b"toolong", "filename": "a.txt"}, "data"),
        ({"path": "big.txt"}, "path"),
    ],
)
async def test_upload_rejected(
    client: SendblueClient,
    sendblue: FakeSendblue,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    """Bad upload arguments and files over the limit never reach the wire."""
    monkeypatch.setattr(validation, "MAX_UPLOAD_BYTES", 4)
    (tmp_path / "big.txt").write_bytes(b"12345")
    if "path" in kwargs:
        kwargs = {**kwargs, "path": tmp_path / kwargs["path"]}
    with pytest.raises(SendblueInputError) as exc_info:
        await client.upload_file(**kwargs)
    assert exc_info.value.field == field
    assert not sendblue.requests
