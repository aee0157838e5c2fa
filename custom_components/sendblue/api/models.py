"""Typed models of what Sendblue sends us, parsed tolerantly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any, Self, TypedDict

from .exceptions import SendblueInvalidResponseError

# ---------------------------------------------------------------------------
# Enums


class _WireEnum(StrEnum):
    """A string enum that matches case-insensitively and falls back to UNKNOWN."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        """Match the value regardless of case, else UNKNOWN when the enum has it."""
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded:
                    return member
        # Input-only enums have no UNKNOWN, so a bad value still raises ValueError.
        return cls.__members__.get("UNKNOWN")


class MessageStatus(_WireEnum):
    """Status of a message."""

    REGISTERED = "REGISTERED"
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    ACCEPTED = "ACCEPTED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    RECEIVED = "RECEIVED"
    ERROR = "ERROR"
    DECLINED = "DECLINED"
    SUCCESS = "SUCCESS"
    UNKNOWN = "UNKNOWN"


class Service(_WireEnum):
    """Channel a message went over."""

    IMESSAGE = "iMessage"
    SMS = "SMS"
    RCS = "RCS"
    UNKNOWN = "unknown"


class MessageType(_WireEnum):
    """Kind of conversation a message belongs to."""

    MESSAGE = "message"
    GROUP = "group"
    LOCATION = "location"
    UNKNOWN = "unknown"


class SendStyle(_WireEnum):
    """iMessage expressive send styles."""

    CELEBRATION = "celebration"
    SHOOTING_STAR = "shooting_star"
    FIREWORKS = "fireworks"
    LASERS = "lasers"
    LOVE = "love"
    CONFETTI = "confetti"
    BALLOONS = "balloons"
    SPOTLIGHT = "spotlight"
    ECHO = "echo"
    INVISIBLE = "invisible"
    GENTLE = "gentle"
    LOUD = "loud"
    SLAM = "slam"


class Reaction(_WireEnum):
    """iMessage tapbacks."""

    LOVE = "love"
    LIKE = "like"
    DISLIKE = "dislike"
    LAUGH = "laugh"
    EMPHASIZE = "emphasize"
    QUESTION = "question"


class TypingState(_WireEnum):
    """Whether a typing indicator starts or stops."""

    START = "start"
    STOP = "stop"


class ModifyType(_WireEnum):
    """Change made to a group's members."""

    ADD_RECIPIENT = "add_recipient"
    REMOVE_RECIPIENT = "remove_recipient"


class LineStatus(_WireEnum):
    """Health of a phone line."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    DEGRADED = "DEGRADED"
    UNKNOWN = "UNKNOWN"


class LineAssignment(_WireEnum):
    """How a phone line belongs to the account."""

    ASSIGNED = "assigned"
    SHARED = "shared"
    GRACE_PERIOD = "grace_period"
    UNKNOWN = "unknown"


class LineUsageState(_WireEnum):
    """Sending capacity state of a phone line."""

    AVAILABLE = "available"
    LIMITED = "limited"
    PAUSED = "paused"
    NOT_APPLICABLE = "not_applicable"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


class WebhookType(_WireEnum):
    """Kinds of webhooks an account can register."""

    RECEIVE = "receive"
    OUTBOUND = "outbound"
    TYPING_INDICATOR = "typing_indicator"
    CALL_LOG = "call_log"
    INBOUND_CALL = "inbound_call"
    LINE_BLOCKED = "line_blocked"
    LINE_ASSIGNED = "line_assigned"
    CONTACT_CREATED = "contact_created"
    CONTACT_PROFILE = "contact_profile"
    CALL_COMPLETED = "call_completed"


# ---------------------------------------------------------------------------
# Tolerant field readers: the first key holding a value of the right type wins.


def _str(data: Mapping[str, Any], *keys: str, keep_empty: bool = False) -> str | None:
    """Read a string; "" counts as missing unless keep_empty."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and (value or keep_empty):
            return value
    return None


def _id(data: Mapping[str, Any], *keys: str) -> str | None:
    """Read an identifier that may come as text or as a number."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value:
            return value
    return None


def _int(data: Mapping[str, Any], *keys: str) -> int | None:
    """Read an integer, also from an integral float or a numeric string."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                continue
    return None


def _bool(data: Mapping[str, Any], *keys: str) -> bool | None:
    """Read a boolean, also from "true" / "false"."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
    return None


def _dt(data: Mapping[str, Any], *keys: str) -> datetime | None:
    """Read an ISO 8601 timestamp as an aware datetime (naive means UTC)."""
    for key in keys:
        value = data.get(key)
        if not isinstance(value, str):
            continue
        try:
            parsed = datetime.fromisoformat(value)
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            # A time that cannot be shown in UTC (year 1 or 9999 with an offset)
            # is no time anyone meant, and would break whoever displays it.
            parsed.astimezone(UTC)
        except ValueError, OverflowError:
            continue
        return parsed
    return None


def _tuple(data: Mapping[str, Any], *keys: str) -> tuple[str, ...]:
    """Read a list of strings, dropping anything that is not a string."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return tuple(item for item in value if isinstance(item, str))
    return ()


def _map(data: Mapping[str, Any], *keys: str) -> dict[str, Any] | None:
    """Read a JSON object."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, Mapping):
            return dict(value)
    return None


def _items(data: Mapping[str, Any], *keys: str) -> list[Mapping[str, Any]]:
    """Read a list of JSON objects, dropping anything else."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, Mapping)]
    return []


def _flat(data: Mapping[str, Any], key: str = "data") -> Mapping[str, Any]:
    """Lift the fields of an enveloped object (`{"status", "data": {...}}`) up."""
    inner = data.get(key)
    return {**data, **inner} if isinstance(inner, Mapping) else data


def _jsonable(value: object) -> object:
    """Turn a model value into plain JSON types."""
    if isinstance(value, _Model):
        return value.to_dict()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class _Model:
    """Base of all models: a JSON-able dict view."""

    def to_dict(self) -> dict[str, Any]:
        """Return the model as a JSON-able dict."""
        return {item.name: _jsonable(getattr(self, item.name)) for item in fields(self)}


# ---------------------------------------------------------------------------
# Messages and webhooks


@dataclass(frozen=True, kw_only=True)
class Message(_Model):
    """A message record, a send result or a message webhook body."""

    message_handle: str | None = None
    status: MessageStatus = MessageStatus.UNKNOWN
    service: Service | None = None
    content: str | None = None
    media_url: str | None = None
    is_outbound: bool | None = None
    from_number: str | None = None
    to_number: str | None = None
    number: str | None = None
    recipients: tuple[str, ...] = ()
    sendblue_number: str | None = None
    account_email: str | None = None
    message_type: MessageType | None = None
    group_id: str | None = None
    group_display_name: str | None = None
    participants: tuple[str, ...] = ()
    send_style: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    error_reason: str | None = None
    error_detail: str | None = None
    error_key: str | None = None
    was_downgraded: bool | None = None
    opted_out: bool | None = None
    plan: str | None = None
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    date_created: datetime | None = None
    sender_email: str | None = None
    seat_id: str | None = None
    reply_to: dict[str, Any] | None = None
    thread_originator: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a message from its wire form."""
        status = _str(data, "status")
        service = _str(data, "service")
        message_type = _str(data, "message_type", "messageType")
        # Group sends answer with arrays in number / to_number.
        recipients = next(
            (
                tuple(item for item in value if isinstance(item, str))
                for value in (data.get("number"), data.get("to_number"))
                if isinstance(value, list)
            ),
            (),
        )
        return cls(
            message_handle=_str(data, "message_handle", "messageHandle"),
            status=MessageStatus(status) if status else MessageStatus.UNKNOWN,
            service=Service(service) if service else None,
            content=_str(data, "content", keep_empty=True),
            media_url=_str(data, "media_url", "mediaUrl"),
            is_outbound=_bool(data, "is_outbound", "isOutbound"),
            from_number=_str(data, "from_number", "fromNumber"),
            to_number=_str(data, "to_number", "toNumber"),
            number=_str(data, "number"),
            recipients=recipients,
            sendblue_number=_str(data, "sendblue_number", "sendblueNumber"),
            account_email=_str(data, "accountEmail", "account_email"),
            message_type=MessageType(message_type) if message_type else None,
            group_id=_str(data, "group_id", "groupId"),
            group_display_name=_str(data, "group_display_name", "groupDisplayName"),
            participants=_tuple(data, "participants"),
            send_style=_str(data, "send_style", "sendStyle"),
            error_code=_int(data, "error_code", "errorCode"),
            error_message=_str(data, "error_message", "errorMessage"),
            error_reason=_str(data, "error_reason", "errorReason"),
            error_detail=_str(data, "error_detail", "errorDetail"),
            error_key=_str(data, "error_key", "errorKey"),
            was_downgraded=_bool(data, "was_downgraded", "wasDowngraded"),
            opted_out=_bool(data, "opted_out", "optedOut"),
            plan=_str(data, "plan"),
            date_sent=_dt(data, "date_sent", "dateSent"),
            date_updated=_dt(data, "date_updated", "dateUpdated"),
            date_created=_dt(data, "date_created", "dateCreated"),
            sender_email=_str(data, "sender_email", "senderEmail"),
            seat_id=_str(data, "seat_id", "seatId"),
            reply_to=_map(data, "reply_to", "replyTo"),
            thread_originator=_map(data, "thread_originator", "threadOriginator"),
        )


@dataclass(frozen=True, kw_only=True)
class TypingIndicator(_Model):
    """A typing_indicator webhook body."""

    number: str | None = None
    is_typing: bool
    from_number: str | None = None
    timestamp: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a typing event from its wire form."""
        return cls(
            number=_str(data, "number"),
            is_typing=_bool(data, "is_typing", "isTyping") or False,
            from_number=_str(data, "from_number", "fromNumber"),
            timestamp=_dt(data, "timestamp"),
        )


def parse_webhook(payload: object) -> Message | TypingIndicator:
    """Parse a receive, outbound, status_callback or typing_indicator webhook body.

    Raises
    ------
    SendblueInvalidResponseError
        The payload is neither a message nor a typing event.

    """
    if not isinstance(payload, Mapping):
        msg = "Webhook payload is not a JSON object"
        raise SendblueInvalidResponseError(msg)
    if isinstance(payload.get("is_typing"), bool):
        return TypingIndicator.from_dict(payload)
    if _str(payload, "message_handle"):
        return Message.from_dict(payload)
    msg = "Webhook payload is neither a message nor a typing indicator"
    raise SendblueInvalidResponseError(msg)


@dataclass(frozen=True, kw_only=True)
class MessagesPage(_Model):
    """One page of the message list."""

    messages: tuple[Message, ...] = ()
    has_more: bool = False
    limit: int | None = None
    offset: int | None = None
    total: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a page from `{"data": [...], "pagination": {...}}`."""
        pagination = _map(data, "pagination") or data
        return cls(
            messages=tuple(
                Message.from_dict(item) for item in _items(data, "data", "messages")
            ),
            has_more=_bool(pagination, "hasMore", "has_more") or False,
            limit=_int(pagination, "limit"),
            offset=_int(pagination, "offset"),
            total=_int(pagination, "total"),
        )


class MessageFilters(TypedDict, total=False):
    """Filters of the message list, passed through to the query."""

    order_by: str | None
    order_direction: str | None
    is_outbound: bool | None
    message_type: MessageType | str | None
    status: MessageStatus | str | None
    service: Service | str | None
    number: str | None
    from_number: str | None
    to_number: str | None
    sendblue_number: str | None
    group_id: str | None
    account_email: str | None
    created_at_gte: datetime | str | None
    created_at_lte: datetime | str | None
    sent_at_gte: datetime | str | None
    sent_at_lte: datetime | str | None
    updated_at_gte: datetime | str | None
    updated_at_lte: datetime | str | None


# ---------------------------------------------------------------------------
# Account and lines


@dataclass(frozen=True, kw_only=True)
class Account(_Model):
    """The account the API key belongs to."""

    email: str | None = None
    plan: str | None = None
    company_name: str | None = None
    status: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the account, enveloped or not."""
        flat = _flat(_flat(data, "account"))
        return cls(
            email=_str(flat, "email", "accountEmail", "account_email"),
            plan=_str(flat, "plan"),
            company_name=_str(flat, "company_name", "companyName"),
            status=_str(flat, "status"),
        )


@dataclass(frozen=True, kw_only=True)
class LineState(_Model):
    """Health of one phone line."""

    sendblue_number: str | None = None
    status: LineStatus = LineStatus.UNKNOWN
    assignment: LineAssignment = LineAssignment.UNKNOWN
    worker_id: str | None = None
    degraded_since: datetime | None = None
    effective_until: datetime | None = None
    status_changed_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a line state from its wire form."""
        return cls(
            sendblue_number=_str(data, "sendblue_number", "sendblueNumber"),
            status=LineStatus(_str(data, "status") or "UNKNOWN"),
            assignment=LineAssignment(_str(data, "assignment") or "unknown"),
            worker_id=_str(data, "worker_id", "workerId"),
            degraded_since=_dt(data, "degraded_since", "degradedSince"),
            effective_until=_dt(data, "effective_until", "effectiveUntil"),
            status_changed_at=_dt(data, "status_changed_at", "statusChangedAt"),
        )


@dataclass(frozen=True, kw_only=True)
class LinesState(_Model):
    """Health of all phone lines at one moment."""

    snapshot_at: datetime | None = None
    lines: tuple[LineState, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the snapshot from `{"snapshot_at", "data": [...]}`."""
        return cls(
            snapshot_at=_dt(data, "snapshot_at", "snapshotAt"),
            lines=tuple(
                LineState.from_dict(item) for item in _items(data, "data", "lines")
            ),
        )


@dataclass(frozen=True, kw_only=True)
class UsageWindow(_Model):
    """Sending capacity of a line over one window (hourly or daily)."""

    limit: int | None = None
    remaining: int | None = None
    used: int | None = None
    next_slot_at: datetime | None = None
    resets_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a window from its wire form."""
        return cls(
            limit=_int(data, "limit"),
            remaining=_int(data, "remaining"),
            used=_int(data, "used"),
            next_slot_at=_dt(data, "nextSlotAt", "next_slot_at"),
            resets_at=_dt(data, "resetsAt", "resets_at"),
        )


@dataclass(frozen=True, kw_only=True)
class LineUsage(_Model):
    """Sending capacity of one phone line."""

    phone: str | None = None
    sampled_at: datetime | None = None
    state: LineUsageState = LineUsageState.UNKNOWN
    available_at: datetime | None = None
    hourly: UsageWindow | None = None
    daily: UsageWindow | None = None
    new_contact_lookback_days: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a line's usage from its wire form."""
        hourly, daily = _map(data, "hourly"), _map(data, "daily")
        return cls(
            phone=_str(data, "phone", "number"),
            sampled_at=_dt(data, "sampledAt", "sampled_at"),
            state=LineUsageState(_str(data, "state") or "unknown"),
            available_at=_dt(data, "availableAt", "available_at"),
            hourly=UsageWindow.from_dict(hourly) if hourly is not None else None,
            daily=UsageWindow.from_dict(daily) if daily is not None else None,
            new_contact_lookback_days=_int(
                data, "newContactLookbackDays", "new_contact_lookback_days"
            ),
        )


@dataclass(frozen=True, kw_only=True)
class LinesUsage(_Model):
    """Sending capacity of all phone lines."""

    enabled: bool = False
    lines: tuple[LineUsage, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the usage from `{"enabled", "lines": [...]}`."""
        return cls(
            enabled=_bool(data, "enabled") or False,
            lines=tuple(
                LineUsage.from_dict(item) for item in _items(data, "lines", "data")
            ),
        )


@dataclass(frozen=True, kw_only=True)
class ServiceEvaluation(_Model):
    """Which service a number or email can be reached on."""

    number: str | None = None
    service: Service = Service.UNKNOWN

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the evaluation from its wire form."""
        return cls(
            number=_str(data, "number"),
            service=Service(_str(data, "service") or "unknown"),
        )


# ---------------------------------------------------------------------------
# Results of actions


@dataclass(frozen=True, kw_only=True)
class ReactionResult(_Model):
    """Answer to a tapback."""

    message_handle: str | None = None
    reaction: str | None = None
    status: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from its wire form."""
        return cls(
            message_handle=_str(data, "message_handle"),
            reaction=_str(data, "reaction"),
            status=_str(data, "status"),
            message=_str(data, "message"),
        )


@dataclass(frozen=True, kw_only=True)
class MarkReadResult(_Model):
    """Answer to a read receipt."""

    number: str | None = None
    status: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from its wire form."""
        return cls(
            number=_str(data, "number"),
            status=_str(data, "status"),
            message=_str(data, "message"),
        )


@dataclass(frozen=True, kw_only=True)
class TypingIndicatorResult(_Model):
    """Answer to a typing indicator (status SENT, QUEUED or ERROR)."""

    number: str | None = None
    status: str | None = None
    error_message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from its wire form."""
        return cls(
            number=_str(data, "number"),
            status=_str(data, "status"),
            error_message=_str(data, "error_message"),
        )


@dataclass(frozen=True, kw_only=True)
class UploadedFile(_Model):
    """A file uploaded to Sendblue's media store."""

    media_url: str | None = None
    media_object_id: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the upload result from its wire form."""
        return cls(
            media_url=_str(data, "media_url", "mediaUrl"),
            media_object_id=_str(data, "mediaObjectId", "media_object_id"),
            message=_str(data, "message"),
        )


@dataclass(frozen=True, kw_only=True)
class MediaObject(_Model):
    """A remote file Sendblue re-hosted."""

    media_object_id: str | None = None
    media_url: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the media object from its wire form."""
        return cls(
            media_object_id=_str(data, "mediaObjectId", "media_object_id"),
            media_url=_str(data, "media_url", "mediaUrl"),
            message=_str(data, "message"),
        )


@dataclass(frozen=True, kw_only=True)
class Group(_Model):
    """A created group chat (its shape is undocumented, so raw is kept)."""

    group_id: str | None = None
    status: str | None = None
    message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the group, wherever its id sits."""
        flat = _flat(data)
        return cls(
            group_id=_id(flat, "group_id", "groupId", "id"),
            status=_str(data, "status"),
            message=_str(flat, "message"),
            raw=dict(data),
        )


@dataclass(frozen=True, kw_only=True)
class GroupModification(_Model):
    """Answer to adding or removing a group member."""

    group_id: str | None = None
    modify_type: str | None = None
    number: str | None = None
    status: str | None = None
    error: str | None = None
    error_message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from its wire form."""
        return cls(
            group_id=_str(data, "group_id"),
            modify_type=_str(data, "modify_type"),
            number=_str(data, "number"),
            status=_str(data, "status"),
            error=_str(data, "error"),
            error_message=_str(data, "error_message"),
        )


# ---------------------------------------------------------------------------
# Contacts


@dataclass(frozen=True, kw_only=True)
class Contact(_Model):
    """A contact in the account's address book."""

    phone: str | None = None
    contact_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    assigned_to_email: str | None = None
    sendblue_number: str | None = None
    tags: tuple[str, ...] = ()
    custom_variables: dict[str, str] = field(default_factory=dict)
    opt_out: bool | None = None
    verified: bool | None = None
    created_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a contact, snake_case or camelCase."""
        variables = _map(data, "custom_variables", "customVariables") or {}
        return cls(
            phone=_str(data, "phone", "number", "phoneNumber", "phone_number"),
            contact_id=_id(data, "contact_id", "contactId", "cid", "id"),
            first_name=_str(data, "first_name", "firstName"),
            last_name=_str(data, "last_name", "lastName"),
            company_name=_str(data, "company_name", "companyName"),
            assigned_to_email=_str(data, "assigned_to_email", "assignedToEmail"),
            sendblue_number=_str(data, "sendblue_number", "sendblueNumber"),
            tags=_tuple(data, "tags"),
            # Labels map to text; scalars are kept as text, anything nested is dropped.
            custom_variables={
                str(key): value if isinstance(value, str) else str(value)
                for key, value in variables.items()
                if isinstance(value, str | int | float)
            },
            opt_out=_bool(data, "opt_out", "optOut", "opted_out"),
            verified=_bool(data, "verified"),
            created_at=_dt(data, "created_at", "createdAt"),
        )


@dataclass(frozen=True, kw_only=True)
class NewContact(_Model):
    """A contact to create in bulk."""

    phone: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    tags: tuple[str, ...] = ()
    custom_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ContactOptOut(_Model):
    """Opt-out state of a contact after changing it."""

    number: str | None = None
    opted_out: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the opt-out state from its wire form."""
        return cls(
            number=_str(data, "number"), opted_out=_bool(data, "opted_out", "optedOut")
        )


@dataclass(frozen=True, kw_only=True)
class ContactSharingState(_Model):
    """Name and photo sharing profile of a line."""

    has_profile: bool = False
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the state from `{"status", "data": {...}}` (camelCase)."""
        flat = _flat(data)
        return cls(
            has_profile=_bool(flat, "hasProfile", "has_profile") or False,
            first_name=_str(flat, "firstName", "first_name"),
            last_name=_str(flat, "lastName", "last_name"),
            display_name=_str(flat, "displayName", "display_name"),
        )


# ---------------------------------------------------------------------------
# Webhooks


@dataclass(frozen=True, kw_only=True)
class WebhookConfiguration(_Model):
    """One registered webhook."""

    url: str
    secret: str | None = None
    sendblue_numbers: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a webhook from its object form."""
        return cls(
            url=_str(data, "url") or "",
            secret=_str(data, "secret"),
            sendblue_numbers=_tuple(data, "sendblue_numbers", "sendblueNumbers"),
        )


_GLOBAL_SECRET_KEYS = ("globalSecret", "global_secret")


@dataclass(frozen=True, kw_only=True)
class Webhooks(_Model):
    """All webhooks of the account, by type (unknown types are kept as text)."""

    by_type: dict[str, tuple[WebhookConfiguration, ...]] = field(default_factory=dict)
    global_secret: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from `{"webhooks": {"receive": [url or object, ...], ...}}`."""
        hooks = _map(data, "webhooks") or data
        by_type: dict[str, tuple[WebhookConfiguration, ...]] = {}
        for key, entries in hooks.items():
            if key in _GLOBAL_SECRET_KEYS or not isinstance(entries, list):
                continue
            parsed = (
                WebhookConfiguration(url=entry)
                if isinstance(entry, str)
                else WebhookConfiguration.from_dict(entry)
                for entry in entries
                if isinstance(entry, str | Mapping)
            )
            by_type[key] = tuple(hook for hook in parsed if hook.url)
        return cls(
            by_type=by_type,
            global_secret=_str(hooks, *_GLOBAL_SECRET_KEYS)
            or _str(data, *_GLOBAL_SECRET_KEYS),
        )

    def urls(self, webhook_type: WebhookType | str) -> set[str]:
        """Return the URLs registered for one webhook type."""
        return {hook.url for hook in self.by_type.get(str(webhook_type), ())}


# ---------------------------------------------------------------------------
# Line provisioning


@dataclass(frozen=True, kw_only=True)
class LineProvisionPreview(_Model):
    """Quote for a new line, confirmed with its preview_token."""

    preview_token: str | None = None
    expires_at: datetime | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the preview from its wire form."""
        flat = _flat(data)
        return cls(
            preview_token=_str(flat, "preview_token", "previewToken"),
            expires_at=_dt(flat, "expires_at", "expiresAt"),
            message=_str(flat, "message"),
        )


@dataclass(frozen=True, kw_only=True)
class LineProvisionResult(_Model):
    """Answer to confirming a line (its shape is undocumented, so raw is kept)."""

    status: str | None = None
    message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from its wire form."""
        return cls(
            status=_str(data, "status"), message=_str(data, "message"), raw=dict(data)
        )


@dataclass(frozen=True, kw_only=True)
class LineRequest(_Model):
    """A request for a new line (status OPEN, FULFILLED or CANCELLED)."""

    id: str | None = None
    type: str | None = None
    status: str | None = None
    desired_area_code: str | None = None
    created_at: datetime | None = None
    fulfilled_number: str | None = None
    fulfilled_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the request from `{"status", "data": {...}}` (camelCase)."""
        inner = _map(data, "data") or data
        return cls(
            id=_id(inner, "id"),
            type=_str(inner, "type"),
            status=_str(inner, "status"),
            desired_area_code=_str(inner, "desiredAreaCode", "desired_area_code"),
            created_at=_dt(inner, "createdAt", "created_at"),
            fulfilled_number=_str(inner, "fulfilledNumber", "fulfilled_number"),
            fulfilled_at=_dt(inner, "fulfilledAt", "fulfilled_at"),
        )
