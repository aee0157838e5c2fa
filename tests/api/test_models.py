"""Models parse Sendblue's documented payloads and tolerate everything else."""

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest

from custom_components.sendblue.api import (
    Account,
    Contact,
    ContactSharingState,
    Group,
    LineAssignment,
    LineRequest,
    LinesState,
    LineState,
    LineStatus,
    LinesUsage,
    LineUsage,
    LineUsageState,
    Message,
    MessagesPage,
    MessageStatus,
    MessageType,
    Reaction,
    SendblueInvalidResponseError,
    SendStyle,
    Service,
    TypingIndicator,
    UploadedFile,
    Webhooks,
    WebhookType,
    parse_webhook,
)
from custom_components.sendblue.api.models import _Model

from .conftest import FIXTURES


def test_inbound_webhook() -> None:
    """The documented inbound sample parses fully, "" as None."""
    message = parse_webhook(FIXTURES["webhook_receive"])
    assert message == Message(
        message_handle="99DCC379-DD76-4712-BA65-11EFB33B8CD6",
        status=MessageStatus.RECEIVED,
        service=Service.IMESSAGE,
        content="Hello!",
        media_url=None,
        is_outbound=False,
        from_number="+19998887777",
        to_number="+15122164639",
        number="+19998887777",
        sendblue_number="+15122164639",
        account_email="your-account-email",
        message_type=MessageType.MESSAGE,
        group_id=None,
        group_display_name=None,
        participants=("+19998887777", "+15122164639"),
        send_style=None,
        opted_out=False,
        plan="dedicated",
        date_sent=datetime(2025, 12, 12, 15, 41, 20, 932000, tzinfo=UTC),
        date_updated=datetime(2025, 12, 12, 15, 41, 20, 995000, tzinfo=UTC),
    )


def test_outbound_status_webhook() -> None:
    """An outbound SENT status is a message too."""
    message = parse_webhook(FIXTURES["webhook_outbound_sent"])
    assert isinstance(message, Message)
    assert message.status is MessageStatus.SENT
    assert message.is_outbound is True
    assert message.was_downgraded is False
    assert message.message_handle == "5a17319e-cbcf-443e-897e-d8b0c04b1b09"


def test_typing_webhook() -> None:
    """A payload with a boolean is_typing is a typing indicator."""
    assert parse_webhook(FIXTURES["webhook_typing"]) == TypingIndicator(
        number="+19998887777",
        is_typing=True,
        from_number="+15122164639",
        timestamp=datetime(2025, 12, 12, 15, 41, 18, 120000, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        "text",
        {"message_handle": ""},
        {"is_typing": "yes"},
        {"message_handle": 5},
    ],
)
def test_unknown_webhook(payload: object) -> None:
    """Neither a message nor a typing event is refused."""
    with pytest.raises(SendblueInvalidResponseError):
        parse_webhook(payload)


def test_group_send_arrays() -> None:
    """Arrays in number / to_number go to recipients."""
    message = Message.from_dict(FIXTURES["send_group_message"])
    assert message.number is None
    assert message.to_number is None
    assert message.recipients == ("+19998887777", "+19998886666")
    assert message.message_type is MessageType.GROUP


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [
        ({"status": "delivered"}, "status", MessageStatus.DELIVERED),
        ({"status": "TELEPORTED"}, "status", MessageStatus.UNKNOWN),
        ({"status": 3}, "status", MessageStatus.UNKNOWN),
        ({}, "status", MessageStatus.UNKNOWN),
        ({"service": "sms"}, "service", Service.SMS),
        ({"service": "imessage"}, "service", Service.IMESSAGE),
        ({"service": "pigeon"}, "service", Service.UNKNOWN),
        ({}, "service", None),
        ({"message_type": "location"}, "message_type", MessageType.LOCATION),
        ({"message_type": "broadcast"}, "message_type", MessageType.UNKNOWN),
        ({"account_email": "a@b.c"}, "account_email", "a@b.c"),
        ({"accountEmail": "", "account_email": "a@b.c"}, "account_email", "a@b.c"),
        ({"error_code": "22"}, "error_code", 22),
        ({"error_code": 4000.0}, "error_code", 4000),
        ({"error_code": 4000.5}, "error_code", None),
        ({"error_code": "abc"}, "error_code", None),
        ({"error_code": True}, "error_code", None),
        ({"error_code": [22]}, "error_code", None),
        ({"is_outbound": "true"}, "is_outbound", True),
        ({"is_outbound": "maybe"}, "is_outbound", None),
        ({"date_sent": "yesterday"}, "date_sent", None),
        ({"date_sent": 1700000000}, "date_sent", None),
        ({"date_sent": "0001-01-01T00:30:00+01:00"}, "date_sent", None),
        ({"date_sent": "9999-12-31T23:00:00-02:00"}, "date_sent", None),
        (
            {"date_sent": "9999-12-31T20:00:00-02:00"},
            "date_sent",
            datetime(9999, 12, 31, 22, tzinfo=UTC),
        ),
        (
            {"date_sent": "2025-12-12T15:41:20"},
            "date_sent",
            datetime(2025, 12, 12, 15, 41, 20, tzinfo=UTC),
        ),
        ({"participants": ["+1", 2, None]}, "participants", ("+1",)),
        ({"participants": "+1"}, "participants", ()),
        ({"content": ""}, "content", ""),
        ({"media_url": ""}, "media_url", None),
        ({"error_detail": {"nested": True}}, "error_detail", None),
        ({"reply_to": {"message_handle": "h"}}, "reply_to", {"message_handle": "h"}),
        ({"thread_originator": "h"}, "thread_originator", None),
        ({"error_key": "OPTED_OUT"}, "error_key", "OPTED_OUT"),
        ({"sender_email": "seat@example.com", "seat_id": "s1"}, "seat_id", "s1"),
        ({"brand_new_field": 1, "message_handle": "h"}, "message_handle", "h"),
    ],
)
def test_message_tolerance(data: dict[str, Any], field: str, value: object) -> None:
    """Odd or unknown values never raise; they fall back sensibly."""
    assert getattr(Message.from_dict(data), field) == value


def test_messages_page() -> None:
    """A list page carries its messages and pagination."""
    page = MessagesPage.from_dict(FIXTURES["messages_page"])
    assert (page.has_more, page.limit, page.offset, page.total) == (True, 2, 0, 3)
    first, second = page.messages
    assert first.service is Service.SMS
    assert first.group_display_name is None
    assert second.status is MessageStatus.DECLINED
    assert second.error_key == "PRE_REPLY_LIMIT_REACHED"
    assert second.error_code == 4000
    assert MessagesPage.from_dict({"data": "x"}) == MessagesPage()


def test_lines_state() -> None:
    """Line health parses, unknown values as UNKNOWN."""
    state = LinesState.from_dict(FIXTURES["lines_state"])
    online, degraded = state.lines
    assert online.status is LineStatus.ONLINE
    assert online.assignment is LineAssignment.ASSIGNED
    assert degraded.status is LineStatus.DEGRADED
    assert degraded.assignment is LineAssignment.GRACE_PERIOD
    assert degraded.degraded_since == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    odd = LineState.from_dict({"status": "maintenance", "assignment": "borrowed"})
    assert (odd.status, odd.assignment) == (LineStatus.UNKNOWN, LineAssignment.UNKNOWN)
    assert LineState.from_dict({"status": "online"}).status is LineStatus.ONLINE


def test_lines_usage() -> None:
    """Line capacity parses its camelCase windows."""
    usage = LinesUsage.from_dict(FIXTURES["lines_usage"])
    line = usage.lines[0]
    assert line.state is LineUsageState.LIMITED
    assert line.hourly is not None
    assert (line.hourly.limit, line.hourly.remaining, line.hourly.used) == (15, 0, 15)
    assert line.hourly.next_slot_at == datetime(2026, 1, 5, 10, 20, tzinfo=UTC)
    assert line.daily is not None
    assert line.daily.resets_at == datetime(2026, 1, 6, 8, tzinfo=UTC)
    assert line.new_contact_lookback_days == 30
    bare = LineUsage.from_dict({"state": "overbooked", "hourly": 5})
    assert (bare.state, bare.hourly, bare.daily) == (LineUsageState.UNKNOWN, None, None)
    assert LinesUsage.from_dict({}) == LinesUsage(enabled=False, lines=())


def test_contacts() -> None:
    """Contacts parse snake_case and camelCase alike."""
    ada, grace = (Contact.from_dict(item) for item in FIXTURES["contacts"])
    assert ada.custom_variables == {"plan": "gold", "visits": "3"}
    assert ada.tags == ("vip", "beta")
    assert ada.created_at == datetime(2025, 11, 1, 12, tzinfo=UTC)
    assert (ada.opt_out, ada.verified, ada.contact_id) == (False, True, "c_123")
    assert (grace.phone, grace.first_name, grace.company_name) == (
        "+19998886666",
        "Grace",
        "Navy",
    )
    assert grace.sendblue_number == "+15122164639"
    assert grace.assigned_to_email == "other@example.com"
    assert grace.created_at is None
    assert Contact.from_dict(
        {"contact_id": 7, "custom_variables": {"x": [1]}}
    ) == Contact(contact_id="7")
    assert Contact.from_dict({"custom_variables": "plan=gold", "tags": "vip"}) == (
        Contact()
    )


def test_webhooks() -> None:
    """Webhooks parse bare URLs and objects; unknown types are kept."""
    webhooks = Webhooks.from_dict(FIXTURES["webhooks"])
    plain, configured = webhooks.by_type["receive"]
    assert (plain.url, plain.secret, plain.sendblue_numbers) == (
        "https://example.com/plain",
        None,
        (),
    )
    assert (configured.secret, configured.sendblue_numbers) == (
        "whsec",
        ("+15122164639",),
    )
    assert webhooks.urls(WebhookType.RECEIVE) == {
        "https://example.com/plain",
        "https://example.com/hook",
    }
    assert webhooks.urls("outbound") == {"https://example.com/hook"}
    assert webhooks.urls(WebhookType.CALL_LOG) == set()
    assert webhooks.by_type["brand_new_type"][0].url == "https://example.com/new"
    assert webhooks.by_type["typing_indicator"] == ()
    assert webhooks.global_secret == "global-whsec"
    bare = Webhooks.from_dict(
        {"receive": [{"secret": "no url"}, 5, "https://a.example"]}
    )
    assert bare.urls("receive") == {"https://a.example"}
    assert bare.global_secret is None


@pytest.mark.parametrize(
    "data",
    [
        {"email": "me@example.com"},
        {"accountEmail": "me@example.com"},
        {"account_email": "me@example.com"},
        {"status": "OK", "data": {"email": "me@example.com"}},
        {"status": "OK", "account": {"email": "me@example.com"}},
    ],
)
def test_account(data: dict[str, Any]) -> None:
    """The account email is found wherever it sits."""
    assert Account.from_dict(data).email == "me@example.com"


def test_small_models() -> None:
    """Envelope-wrapped and alias fields of the smaller models."""
    request = LineRequest.from_dict(FIXTURES["line_request"])
    assert request.fulfilled_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert (request.id, request.type, request.desired_area_code) == (
        "lr_42",
        "PHONE",
        "415",
    )
    assert LineRequest.from_dict({"id": True}).id is None
    group = Group.from_dict({"status": "OK", "groupId": "g1", "extra": 1})
    assert (group.group_id, group.raw) == (
        "g1",
        {"status": "OK", "groupId": "g1", "extra": 1},
    )
    sharing = ContactSharingState.from_dict({"has_profile": True, "display_name": "HA"})
    assert (sharing.has_profile, sharing.display_name) == (True, "HA")
    upload = UploadedFile.from_dict(
        {"mediaUrl": "https://a.example/x", "media_object_id": "x"}
    )
    assert (upload.media_url, upload.media_object_id) == ("https://a.example/x", "x")


@pytest.mark.parametrize(
    "model",
    [
        Message.from_dict(FIXTURES["webhook_receive"]),
        Message.from_dict(FIXTURES["send_group_message"]),
        TypingIndicator.from_dict(FIXTURES["webhook_typing"]),
        MessagesPage.from_dict(FIXTURES["messages_page"]),
        LinesState.from_dict(FIXTURES["lines_state"]),
        LinesUsage.from_dict(FIXTURES["lines_usage"]),
        Webhooks.from_dict(FIXTURES["webhooks"]),
        Contact.from_dict(FIXTURES["contacts"][0]),
        LineRequest.from_dict(FIXTURES["line_request"]),
    ],
)
def test_to_dict_is_json(model: _Model) -> None:
    """to_dict gives plain JSON types: ISO datetimes, enum values, lists."""
    data = model.to_dict()
    assert json.loads(json.dumps(data)) == data


def test_to_dict_values() -> None:
    """to_dict renders each kind of value plainly."""
    data = Message.from_dict(FIXTURES["webhook_receive"]).to_dict()
    assert data["date_sent"] == "2025-12-12T15:41:20.932000+00:00"
    assert data["status"] == "RECEIVED"
    assert type(data["status"]) is str
    assert data["participants"] == ["+19998887777", "+15122164639"]
    usage = LinesUsage.from_dict(FIXTURES["lines_usage"]).to_dict()
    assert usage["lines"][0]["hourly"]["remaining"] == 0
    hooks = Webhooks.from_dict(FIXTURES["webhooks"]).to_dict()
    assert hooks["by_type"]["outbound"] == [
        {"url": "https://example.com/hook", "secret": "whsec", "sendblue_numbers": []}
    ]


@pytest.mark.parametrize(
    ("enum", "value", "member"),
    [
        (MessageStatus, "queued", MessageStatus.QUEUED),
        (LineStatus, "Offline", LineStatus.OFFLINE),
        (LineUsageState, "PAUSED", LineUsageState.PAUSED),
        (Service, "RCS", Service.RCS),
        (SendStyle, "Shooting_Star", SendStyle.SHOOTING_STAR),
        (Reaction, "LOVE", Reaction.LOVE),
        (WebhookType, "CALL_COMPLETED", WebhookType.CALL_COMPLETED),
        (MessageStatus, 3, MessageStatus.UNKNOWN),
        (LineAssignment, None, LineAssignment.UNKNOWN),
    ],
)
def test_enums_ignore_case(enum: type[StrEnum], value: object, member: StrEnum) -> None:
    """Enums match their wire values in any case; others are UNKNOWN."""
    assert enum(value) is member


@pytest.mark.parametrize("enum", [SendStyle, Reaction, WebhookType])
def test_input_enums_have_no_unknown(enum: type[StrEnum]) -> None:
    """Input-only enums refuse values they do not know."""
    with pytest.raises(ValueError, match="is not a valid"):
        enum("bogus")
