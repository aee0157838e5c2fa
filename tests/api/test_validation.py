"""Arguments are checked before anything is sent."""

from typing import Any

import pytest

from custom_components.sendblue import api
from custom_components.sendblue.api import (
    NewContact,
    SendblueClient,
    SendblueInputError,
    WebhookConfiguration,
    Webhooks,
    is_address,
    is_e164,
)
from custom_components.sendblue.api.validation import (
    MAX_CONTENT_LENGTH,
    MAX_UPLOAD_BYTES,
)

from .conftest import FakeSendblue

LINE = "+15122164639"
USER = "+19998887777"
SEND = {"number": USER, "from_number": LINE}
TEXT = {**SEND, "content": "Hi"}


@pytest.mark.parametrize(
    ("method", "kwargs", "field"),
    [
        ("send_message", {"number": "5551234567", "content": "Hi"}, "number"),
        ("send_message", {"number": "+1 555 123 4567", "content": "Hi"}, "number"),
        ("send_message", {"number": "not-an-email@", "content": "Hi"}, "number"),
        ("send_message", {**TEXT, "from_number": "+0123456789"}, "from_number"),
        ("send_message", SEND, "content"),
        ("send_message", {**SEND, "content": ""}, "content"),
        (
            "send_message",
            {**SEND, "content": "x" * (MAX_CONTENT_LENGTH + 1)},
            "content",
        ),
        ("send_message", {**SEND, "media_url": "ftp://example.com/a.jpg"}, "media_url"),
        ("send_message", {**SEND, "media_url": "/local/a.jpg"}, "media_url"),
        ("send_message", {**TEXT, "send_style": "wiggle"}, "send_style"),
        ("send_message", {**TEXT, "status_callback": "not a url"}, "status_callback"),
        ("send_message", {**TEXT, "reply_to": ""}, "reply_to"),
        ("send_message", {**TEXT, "reply_to_part_index": 0}, "reply_to_part_index"),
        (
            "send_message",
            {**TEXT, "reply_to": "h", "reply_to_part_index": -1},
            "reply_to_part_index",
        ),
        ("send_group_message", {"from_number": LINE, "content": "Hi"}, "numbers"),
        (
            "send_group_message",
            {"from_number": LINE, "numbers": [USER], "group_id": "g", "content": "Hi"},
            "numbers",
        ),
        (
            "send_group_message",
            {"from_number": LINE, "numbers": [], "content": "Hi"},
            "numbers",
        ),
        (
            "send_group_message",
            {"from_number": LINE, "numbers": USER, "content": "Hi"},
            "numbers",
        ),
        (
            "send_group_message",
            {"from_number": LINE, "numbers": ["+1"], "content": "Hi"},
            "numbers",
        ),
        (
            "send_group_message",
            {"from_number": LINE, "group_id": "", "content": "Hi"},
            "group_id",
        ),
        (
            "send_group_message",
            {"from_number": "", "group_id": "g", "content": "Hi"},
            "from_number",
        ),
        ("send_group_message", {"from_number": LINE, "group_id": "g"}, "content"),
        ("create_group", {"from_number": LINE, "numbers": []}, "numbers"),
        ("create_group", {"from_number": "line", "numbers": [USER]}, "from_number"),
        (
            "modify_group",
            {"group_id": "g", "modify_type": "rename", "number": USER},
            "modify_type",
        ),
        (
            "modify_group",
            {"group_id": "g", "modify_type": "add_recipient", "number": "bad"},
            "number",
        ),
        (
            "modify_group",
            {"group_id": " ", "modify_type": "add_recipient", "number": USER},
            "group_id",
        ),
        (
            "modify_group",
            {
                "group_id": "g",
                "modify_type": "add_recipient",
                "number": USER,
                "from_number": "x",
            },
            "from_number",
        ),
        ("get_message_status", {"message_handle": ""}, "message_handle"),
        ("evaluate_service", {"number": "12345"}, "number"),
        ("list_messages", {"limit": 0}, "limit"),
        ("list_messages", {"limit": 101}, "limit"),
        ("list_messages", {"limit": True}, "limit"),
        ("list_messages", {"offset": -1}, "offset"),
        ("list_messages", {"order_direction": "up"}, "order_direction"),
        ("list_messages", {"status": "nope"}, "status"),
        ("list_messages", {"service": "fax"}, "service"),
        ("list_messages", {"message_type": "unknown"}, "message_type"),
        ("get_message", {"message_id": ""}, "message_id"),
        ("delete_message", {"message_handle": ""}, "message_handle"),
        (
            "send_reaction",
            {"from_number": LINE, "message_handle": "h", "reaction": "wow"},
            "reaction",
        ),
        (
            "send_reaction",
            {
                "from_number": LINE,
                "message_handle": "h",
                "reaction": "love",
                "part_index": -1,
            },
            "part_index",
        ),
        (
            "send_reaction",
            {"from_number": LINE, "message_handle": "", "reaction": "love"},
            "message_handle",
        ),
        (
            "send_reaction",
            {"from_number": USER[1:], "message_handle": "h", "reaction": "love"},
            "from_number",
        ),
        ("mark_read", {"number": "friend@icloud.com", "from_number": LINE}, "number"),
        ("mark_read", {"number": USER, "from_number": None}, "from_number"),
        ("send_typing_indicator", {**SEND, "max_duration_ms": 0}, "max_duration_ms"),
        (
            "send_typing_indicator",
            {**SEND, "max_duration_ms": 300_001},
            "max_duration_ms",
        ),
        ("send_typing_indicator", {**SEND, "state": "pause"}, "state"),
        ("upload_media_object", {"media_url": "example.com/a.jpg"}, "media_url"),
        ("upload_media_object", {"media_url": "http://[::1/a.jpg"}, "media_url"),
        ("list_contacts", {"limit": 1001}, "limit"),
        ("list_contacts", {"offset": 10_001}, "offset"),
        ("list_contacts", {"order_direction": "sideways"}, "order_direction"),
        ("get_contact", {"number": ""}, "number"),
        ("get_contact", {"number": "5551234567"}, "number"),
        ("create_contact", {"number": "bad"}, "number"),
        (
            "create_contact",
            {"number": USER, "sendblue_number": "bad"},
            "sendblue_number",
        ),
        (
            "create_contact",
            {"number": USER, "assigned_to_email": "nope"},
            "assigned_to_email",
        ),
        ("create_contacts", {"contacts": []}, "contacts"),
        ("create_contacts", {"contacts": [NewContact(phone="bad")]}, "contacts"),
        ("update_contact", {"number": ""}, "number"),
        ("delete_contact", {"number": "+1 555"}, "number"),
        ("update_contact", {"number": USER, "sendblue_number": "x"}, "sendblue_number"),
        ("delete_contact", {"number": " "}, "number"),
        ("delete_contacts", {"numbers": []}, "numbers"),
        ("set_contact_opt_out", {"number": "bad"}, "number"),
        ("add_webhooks", {"webhooks": []}, "webhooks"),
        ("add_webhooks", {"webhooks": "https://example.com/hook"}, "webhooks"),
        ("add_webhooks", {"webhooks": ["ftp://example.com"]}, "webhooks"),
        ("add_webhooks", {"webhooks": [WebhookConfiguration(url="nope")]}, "webhooks"),
        (
            "add_webhooks",
            {"webhooks": ["https://a.example"], "webhook_type": "nope"},
            "webhook_type",
        ),
        ("delete_webhooks", {"urls": []}, "urls"),
        ("delete_webhooks", {"urls": [""]}, "urls"),
        (
            "delete_webhooks",
            {"urls": ["https://a.example"], "webhook_type": ""},
            "webhook_type",
        ),
        ("replace_webhooks", {"webhooks": Webhooks(by_type={"nope": ()})}, "webhooks"),
        ("get_contact_sharing_state", {"from_number": "x"}, "from_number"),
        (
            "set_contact_sharing_profile",
            {
                "from_number": LINE,
                "first_name": "",
                "last_name": "B",
                "photo_url": "https://a.b/c.png",
            },
            "first_name",
        ),
        (
            "set_contact_sharing_profile",
            {
                "from_number": LINE,
                "first_name": "A",
                "last_name": "B",
                "photo_url": "c.png",
            },
            "photo_url",
        ),
        ("confirm_line_provisioning", {"preview_token": ""}, "preview_token"),
        ("request_line", {"desired_area_code": "41"}, "desired_area_code"),
        ("request_line", {"desired_area_code": "4155"}, "desired_area_code"),
        ("get_line_request", {"request_id": ""}, "request_id"),
    ],
)
async def test_rejected_before_the_wire(
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    """A bad argument raises SendblueInputError naming it; nothing is sent."""
    with pytest.raises(SendblueInputError) as exc_info:
        await getattr(client, method)(**kwargs)
    assert exc_info.value.field == field
    assert isinstance(exc_info.value, ValueError)
    assert field in str(exc_info.value)
    assert not sendblue.requests


@pytest.mark.parametrize(
    "kwargs",
    [
        {**SEND, "content": "x" * MAX_CONTENT_LENGTH},
        {"number": "friend@icloud.com", "content": "Hi"},
        {"number": "+12025550123", "media_url": "http://cdn.example.com/a.jpg"},
        {**TEXT, "reply_to": "h", "reply_to_part_index": 0},
    ],
)
async def test_accepted_at_the_limits(
    client: SendblueClient, sendblue: FakeSendblue, kwargs: dict[str, Any]
) -> None:
    """Values at the edges of what Sendblue takes go out."""
    sendblue.add(
        "POST", "/api/send-message", {"message_handle": "h", "status": "QUEUED"}
    )
    await client.send_message(**kwargs)
    assert len(sendblue.requests) == 1


async def test_page_size_checked(
    client: SendblueClient, sendblue: FakeSendblue
) -> None:
    """iter_message_pages names page_size when it is out of range."""
    with pytest.raises(SendblueInputError) as exc_info:
        await anext(client.iter_message_pages(page_size=101))
    assert exc_info.value.field == "page_size"
    assert not sendblue.requests


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+15551234567", (True, True)),
        ("+123456789012345", (True, True)),
        ("+1234567890123456", (False, False)),
        ("+0123456789", (False, False)),
        ("5551234567", (False, False)),
        ("+1 555 123 4567", (False, False)),
        ("friend@icloud.com", (False, True)),
        ("not-an-email@", (False, False)),
        ("", (False, False)),
        (None, (False, False)),
        (15551234567, (False, False)),
    ],
)
def test_address_predicates(value: object, expected: tuple[bool, bool]) -> None:
    """is_e164 and is_address say what the client would accept, without raising."""
    assert (is_e164(value), is_address(value)) == expected


def test_limits_exported() -> None:
    """The integration imports the limits instead of keeping copies."""
    assert MAX_UPLOAD_BYTES == 100 * 1024 * 1024
    assert api.MAX_UPLOAD_BYTES == MAX_UPLOAD_BYTES
    assert api.MAX_CONTENT_LENGTH == MAX_CONTENT_LENGTH == 18_995
    assert api.DEFAULT_BASE_URL == "https://api.sendblue.co"
