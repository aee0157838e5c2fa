"""Typed models of what Sendblue sends us, parsed tolerantly (mashumaro dataclasses).

Every model reads snake_case and camelCase alike (the first usable spelling wins), takes
a value of the wrong type as absent, and maps unknown enum values to UNKNOWN, so that
nothing Sendblue adds or changes makes parsing fail. to_dict gives plain JSON types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType, NoneType
from typing import Any, Self, TypedDict, get_args, get_origin, get_type_hints

from mashumaro import DataClassDictMixin, field_options
from mashumaro.config import BaseConfig

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


class EventType(_WireEnum):
    """Types of the live event stream."""

    MESSAGE_RECEIVED = "message.received"
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"
    TYPING_CHANGED = "typing.changed"
    LINE_ASSIGNED = "line.assigned"
    LINE_UNASSIGNED = "line.unassigned"
    LINE_STATUS_CHANGED = "line.status.changed"
    LINE_BLOCKED = "line.blocked"
    CONTACT_CREATED = "contact.created"
    VERIFICATION_APPROVED = "verification.approved"
    VERIFICATION_EXPIRED = "verification.expired"
    VERIFICATION_CANCELED = "verification.canceled"
    UNKNOWN = "unknown"


# ---------------------------------------------------------------------------
# Tolerant readers of one wire value. Those of optional fields return None for a
# missing or unusable value; those of fields that always have one return its empty
# value (which is the field's default).


def _text(value: object) -> str | None:
    """Read a string; "" counts as absent."""
    return value if isinstance(value, str) and value else None


def _string(value: object) -> str | None:
    """Read a string, "" included."""
    return value if isinstance(value, str) else None


def _string_or_empty(value: object) -> str:
    """Read a string that is always there."""
    return value if isinstance(value, str) else ""


def _identifier(value: object) -> str | None:
    """Read an identifier that may come as text or as a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _identifier_or_empty(value: object) -> str:
    """Read an identifier that is always there."""
    return _identifier(value) or ""


def _integer(value: object) -> int | None:
    """Read an integer, also from an integral float or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _flag(value: object) -> bool | None:
    """Read a boolean, also from "true" / "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and (folded := value.lower()) in {"true", "false"}:
        return folded == "true"
    return None


def _true(value: object) -> bool:
    """Read a boolean that is false unless the wire says true."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


_EDGE_YEARS = frozenset({1, 9999})


def _moment(value: object) -> datetime | None:
    """Read an ISO 8601 timestamp as an aware datetime (naive means UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        # A time that cannot be shown in UTC (year 1 or 9999 with an offset)
        # is no time anyone meant, and would break whoever displays it.
        if parsed.year in _EDGE_YEARS:
            parsed.astimezone(UTC)
    except ValueError, OverflowError:
        return None
    return parsed


def _texts(value: object) -> tuple[str, ...]:
    """Read a list of strings, dropping anything that is not a string."""
    if not isinstance(value, list):
        return ()
    return tuple([item for item in value if isinstance(item, str)])


def _object(value: object) -> dict[str, Any] | None:
    """Read a JSON object."""
    return dict(value) if isinstance(value, Mapping) else None


def _object_or_empty(value: object) -> dict[str, Any]:
    """Read a JSON object that is always there."""
    return dict(value) if isinstance(value, Mapping) else {}


def _labels(value: object) -> dict[str, str]:
    """Read labels as text: scalars are kept as text, anything nested is dropped."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): item if isinstance(item, str) else str(item)
        for key, item in value.items()
        if isinstance(item, str | int | float)
    }


def _member[E: _WireEnum](
    enum: type[E], missing: E | None
) -> Callable[[object], E | None]:
    """Read an enum from a non-empty string; missing if there is none."""
    # A dict is much quicker than the enum's own lookup, which does the rest.
    by_value: dict[object, E] = {member.value: member for member in enum}

    def read(value: object) -> E | None:
        """Read the member."""
        if not isinstance(value, str) or not value:
            return missing
        return by_value.get(value) or enum(value)

    return read


def _model[M: _Model](model: type[M]) -> Callable[[object], M | None]:
    """Read a nested object as a model."""

    def read(value: object) -> M | None:
        """Read the model."""
        return model.from_dict(value) if isinstance(value, Mapping) else None

    return read


def _models[M: _Model](model: type[M]) -> Callable[[object], tuple[M, ...]]:
    """Read a list of objects as models, dropping anything that is not an object."""

    def read(value: object) -> tuple[M, ...]:
        """Read the models."""
        if not isinstance(value, list):
            return ()
        return tuple(
            model.from_dict(item) for item in value if isinstance(item, Mapping)
        )

    return read


def _lift(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Lift the fields of an enveloped object (`{"status", "data": {...}}`) up."""
    inner = data.get(key)
    return {**data, **inner} if isinstance(inner, Mapping) else data


def _camel(name: str) -> str:
    """Spell a snake_case name in camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_WIRE_ENUMS: tuple[type[_WireEnum], ...] = (
    MessageStatus,
    Service,
    MessageType,
    LineStatus,
    LineAssignment,
    LineUsageState,
    EventType,
)
# How a field of each type reads its wire value (mashumaro calls these; a field
# can name its own with field_options(deserialize=...)).
_READERS: dict[Any, Callable[[object], object]] = {
    str | None: _text,
    str: _string_or_empty,
    int | None: _integer,
    bool | None: _flag,
    bool: _true,
    datetime | None: _moment,
    tuple[str, ...]: _texts,
    dict[str, Any] | None: _object,
    dict[str, Any]: _object_or_empty,
    **{enum | None: _member(enum, None) for enum in _WIRE_ENUMS},
    **{enum: _member(enum, enum("UNKNOWN")) for enum in _WIRE_ENUMS},
}


@dataclass(frozen=True, slots=True)
class _Spelling:
    """The wire keys of one field, its primary one first, and what it can use."""

    keys: tuple[str, ...]
    usable: Callable[[object], bool]


def _usable(
    hint: Any,  # noqa: ANN401 - a type hint, of any type
    reader: Callable[[object], object] | None,
) -> Callable[[object], bool]:
    """Tell a usable value of a field from a missing or unusable one."""
    if NoneType not in get_args(hint):
        # A field that is always there reads junk as empty: ask its type instead.
        reader = _READERS.get(hint | None)
    if reader is not None:
        check = reader
        return lambda value: check(value) is not None
    kind = list if get_origin(hint) is tuple else Mapping
    return lambda value: isinstance(value, kind)


_SPELLINGS: dict[type[_Model], dict[str, _Spelling]] = {}


def _other_spellings(model: type[_Model]) -> dict[str, _Spelling]:
    """Map every wire key of a model's fields that is not a primary one to its field."""
    if (others := _SPELLINGS.get(model)) is not None:
        return others
    hints = get_type_hints(model)
    others = {}
    for item in fields(model):
        alias = item.metadata.get("alias")
        wire = (alias,) if isinstance(alias, str) else tuple(alias or ())
        keys = tuple(dict.fromkeys((*wire, item.name, _camel(item.name))))
        hint = hints[item.name]
        reader = item.metadata.get("deserialize") or _READERS.get(hint)
        spelling = _Spelling(keys, _usable(hint, reader))
        others.update(dict.fromkeys(keys[1:], spelling))
    _SPELLINGS[model] = others
    return others


@dataclass(frozen=True, kw_only=True, slots=True)
class _Model(DataClassDictMixin):
    """Base of all models: a tolerant from_dict and a JSON-able to_dict."""

    class Config(BaseConfig):
        """Read every value tolerantly; write datetimes ISO, enums as values."""

        serialization_strategy = MappingProxyType(
            {kind: {"deserialize": reader} for kind, reader in _READERS.items()}
        )

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Put each field's first usable spelling under its primary key."""
        others = _other_spellings(cls)
        if others.keys().isdisjoint(d.keys()):
            return d
        out = dict(d)
        for spelling in {others[key] for key in others.keys() & d.keys()}:
            value = next(
                (
                    d[key]
                    for key in spelling.keys
                    if key in d and spelling.usable(d[key])
                ),
                None,
            )
            if value is not None:
                out[spelling.keys[0]] = value
        return out


# ---------------------------------------------------------------------------
# Messages and webhooks


@dataclass(frozen=True, kw_only=True, slots=True)
class Message(_Model):
    """A message record, a send result or a message webhook body."""

    message_handle: str | None = None
    status: MessageStatus = MessageStatus.UNKNOWN
    service: Service | None = None
    content: str | None = field(
        default=None, metadata=field_options(deserialize=_string)
    )
    media_url: str | None = None
    is_outbound: bool | None = None
    from_number: str | None = None
    to_number: str | None = None
    number: str | None = None
    recipients: tuple[str, ...] = ()
    sendblue_number: str | None = None
    account_email: str | None = field(
        default=None, metadata=field_options(alias="accountEmail")
    )
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
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Also take the recipients of a group send."""
        d = super().__pre_deserialize__(d)
        # Group sends answer with arrays in number / to_number.
        for key in ("number", "to_number"):
            if isinstance(recipients := d.get(key), list):
                return {**d, "recipients": recipients}
        return d


@dataclass(frozen=True, kw_only=True, slots=True)
class TypingIndicator(_Model):
    """A typing_indicator webhook body."""

    number: str | None = None
    is_typing: bool
    from_number: str | None = None
    timestamp: datetime | None = None

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read no word on typing as not typing."""
        d = super().__pre_deserialize__(d)
        return d if "is_typing" in d else {**d, "is_typing": False}


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
    if _text(payload.get("message_handle")):
        return Message.from_dict(payload)
    msg = "Webhook payload is neither a message nor a typing indicator"
    raise SendblueInvalidResponseError(msg)


@dataclass(frozen=True, kw_only=True, slots=True)
class MessagesPage(_Model):
    """One page of the message list."""

    messages: tuple[Message, ...] = field(
        default=(),
        metadata=field_options(
            alias=("data", "messages"), deserialize=_models(Message)
        ),
    )
    has_more: bool = field(default=False, metadata=field_options(alias="hasMore"))
    limit: int | None = None
    offset: int | None = None
    total: int | None = None

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read `{"data": [...], "pagination": {...}}`."""
        return super().__pre_deserialize__(dict(_lift(d, "pagination")))


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


@dataclass(frozen=True, kw_only=True, slots=True)
class Account(_Model):
    """The account the API key belongs to."""

    email: str | None = field(
        default=None,
        metadata=field_options(alias=("email", "accountEmail", "account_email")),
    )
    plan: str | None = None
    company_name: str | None = None
    status: str | None = None

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read the account enveloped or not."""
        return super().__pre_deserialize__(dict(_lift(_lift(d, "account"), "data")))


@dataclass(frozen=True, kw_only=True, slots=True)
class LineState(_Model):
    """Health of one phone line."""

    sendblue_number: str | None = None
    status: LineStatus = LineStatus.UNKNOWN
    assignment: LineAssignment = LineAssignment.UNKNOWN
    worker_id: str | None = None
    degraded_since: datetime | None = None
    effective_until: datetime | None = None
    status_changed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LinesState(_Model):
    """Health of all phone lines at one moment."""

    snapshot_at: datetime | None = None
    lines: tuple[LineState, ...] = field(
        default=(),
        metadata=field_options(alias=("data", "lines"), deserialize=_models(LineState)),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageWindow(_Model):
    """Sending capacity of a line over one window (hourly or daily)."""

    limit: int | None = None
    remaining: int | None = None
    used: int | None = None
    next_slot_at: datetime | None = field(
        default=None, metadata=field_options(alias="nextSlotAt")
    )
    resets_at: datetime | None = field(
        default=None, metadata=field_options(alias="resetsAt")
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class LineUsage(_Model):
    """Sending capacity of one phone line."""

    phone: str | None = field(
        default=None, metadata=field_options(alias=("phone", "number"))
    )
    sampled_at: datetime | None = field(
        default=None, metadata=field_options(alias="sampledAt")
    )
    state: LineUsageState = LineUsageState.UNKNOWN
    available_at: datetime | None = field(
        default=None, metadata=field_options(alias="availableAt")
    )
    hourly: UsageWindow | None = field(
        default=None, metadata=field_options(deserialize=_model(UsageWindow))
    )
    daily: UsageWindow | None = field(
        default=None, metadata=field_options(deserialize=_model(UsageWindow))
    )
    new_contact_lookback_days: int | None = field(
        default=None, metadata=field_options(alias="newContactLookbackDays")
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class LinesUsage(_Model):
    """Sending capacity of all phone lines."""

    enabled: bool = False
    lines: tuple[LineUsage, ...] = field(
        default=(),
        metadata=field_options(alias=("lines", "data"), deserialize=_models(LineUsage)),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceEvaluation(_Model):
    """Which service a number or email can be reached on."""

    number: str | None = None
    service: Service = Service.UNKNOWN


# ---------------------------------------------------------------------------
# Results of actions


@dataclass(frozen=True, kw_only=True, slots=True)
class ReactionResult(_Model):
    """Answer to a tapback."""

    message_handle: str | None = None
    reaction: str | None = None
    status: str | None = None
    message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MarkReadResult(_Model):
    """Answer to a read receipt."""

    number: str | None = None
    status: str | None = None
    message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TypingIndicatorResult(_Model):
    """Answer to a typing indicator (status SENT, QUEUED or ERROR)."""

    number: str | None = None
    status: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UploadedFile(_Model):
    """A file uploaded to Sendblue's media store."""

    media_url: str | None = None
    media_object_id: str | None = field(
        default=None, metadata=field_options(alias="mediaObjectId")
    )
    message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MediaObject(_Model):
    """A remote file Sendblue re-hosted."""

    media_object_id: str | None = field(
        default=None, metadata=field_options(alias="mediaObjectId")
    )
    media_url: str | None = None
    message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Group(_Model):
    """A created group chat (its shape is undocumented, so raw is kept)."""

    group_id: str | None = field(
        default=None,
        metadata=field_options(
            alias=("group_id", "groupId", "id"), deserialize=_identifier
        ),
    )
    status: str | None = None
    message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Find the id wherever it sits; keep the status of the envelope."""
        return super().__pre_deserialize__(
            {**_lift(d, "data"), "status": d.get("status"), "raw": dict(d)}
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class GroupModification(_Model):
    """Answer to adding or removing a group member."""

    group_id: str | None = None
    modify_type: str | None = None
    number: str | None = None
    status: str | None = None
    error: str | None = None
    error_message: str | None = None


# ---------------------------------------------------------------------------
# Contacts


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact(_Model):
    """A contact in the account's address book."""

    phone: str | None = field(
        default=None,
        metadata=field_options(
            alias=("phone", "number", "phoneNumber", "phone_number")
        ),
    )
    contact_id: str | None = field(
        default=None,
        metadata=field_options(
            alias=("contact_id", "contactId", "cid", "id"), deserialize=_identifier
        ),
    )
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    assigned_to_email: str | None = None
    sendblue_number: str | None = None
    tags: tuple[str, ...] = ()
    custom_variables: dict[str, str] = field(
        default_factory=dict, metadata=field_options(deserialize=_labels)
    )
    opt_out: bool | None = field(
        default=None, metadata=field_options(alias=("opt_out", "optOut", "opted_out"))
    )
    verified: bool | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NewContact(_Model):
    """A contact to create in bulk."""

    phone: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    tags: tuple[str, ...] = ()
    custom_variables: dict[str, str] = field(
        default_factory=dict, metadata=field_options(deserialize=_labels)
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactOptOut(_Model):
    """Opt-out state of a contact after changing it."""

    number: str | None = None
    opted_out: bool | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactSharingState(_Model):
    """Name and photo sharing profile of a line."""

    has_profile: bool = field(default=False, metadata=field_options(alias="hasProfile"))
    first_name: str | None = field(
        default=None, metadata=field_options(alias="firstName")
    )
    last_name: str | None = field(
        default=None, metadata=field_options(alias="lastName")
    )
    display_name: str | None = field(
        default=None, metadata=field_options(alias="displayName")
    )

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read `{"status", "data": {...}}`."""
        return super().__pre_deserialize__(dict(_lift(d, "data")))


# ---------------------------------------------------------------------------
# Webhooks


@dataclass(frozen=True, kw_only=True, slots=True)
class WebhookConfiguration(_Model):
    """One registered webhook."""

    url: str
    secret: str | None = None
    sendblue_numbers: tuple[str, ...] = ()

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read a webhook without a URL as one with an empty URL."""
        d = super().__pre_deserialize__(d)
        return d if "url" in d else {**d, "url": ""}


_GLOBAL_SECRET_KEYS = ("globalSecret", "global_secret")


def _webhooks_by_type(
    value: Mapping[str, Any],
) -> dict[str, tuple[WebhookConfiguration, ...]]:
    """Read `{"receive": [url or object, ...], ...}`, dropping hooks without a URL."""
    by_type: dict[str, tuple[WebhookConfiguration, ...]] = {}
    for key, entries in value.items():
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
    return by_type


@dataclass(frozen=True, kw_only=True, slots=True)
class Webhooks(_Model):
    """All webhooks of the account, by type (unknown types are kept as text)."""

    by_type: dict[str, tuple[WebhookConfiguration, ...]] = field(
        default_factory=dict, metadata=field_options(deserialize=_webhooks_by_type)
    )
    global_secret: str | None = field(
        default=None, metadata=field_options(alias=_GLOBAL_SECRET_KEYS)
    )

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read `{"webhooks": {"receive": [...], ..., "globalSecret"}}` or inside."""
        hooks = d.get("webhooks")
        hooks = hooks if isinstance(hooks, Mapping) else d
        secret = next(
            (
                found
                for source in (hooks, d)
                for key in _GLOBAL_SECRET_KEYS
                if (found := _text(source.get(key)))
            ),
            None,
        )
        return {"by_type": hooks, _GLOBAL_SECRET_KEYS[0]: secret}

    def urls(self, webhook_type: WebhookType | str) -> set[str]:
        """Return the URLs registered for one webhook type."""
        return {hook.url for hook in self.by_type.get(str(webhook_type), ())}


# ---------------------------------------------------------------------------
# Line provisioning


@dataclass(frozen=True, kw_only=True, slots=True)
class LineProvisionPreview(_Model):
    """Quote for a new line, confirmed with its preview_token."""

    preview_token: str | None = None
    expires_at: datetime | None = None
    message: str | None = None

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read the preview enveloped or not."""
        return super().__pre_deserialize__(dict(_lift(d, "data")))


@dataclass(frozen=True, kw_only=True, slots=True)
class LineProvisionResult(_Model):
    """Answer to confirming a line (its shape is undocumented, so raw is kept)."""

    status: str | None = None
    message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Keep the whole answer."""
        return super().__pre_deserialize__({**d, "raw": dict(d)})


@dataclass(frozen=True, kw_only=True, slots=True)
class LineRequest(_Model):
    """A request for a new line (status OPEN, FULFILLED or CANCELLED)."""

    id: str | None = field(
        default=None, metadata=field_options(deserialize=_identifier)
    )
    type: str | None = None
    status: str | None = None
    desired_area_code: str | None = field(
        default=None, metadata=field_options(alias="desiredAreaCode")
    )
    created_at: datetime | None = field(
        default=None, metadata=field_options(alias="createdAt")
    )
    fulfilled_number: str | None = field(
        default=None, metadata=field_options(alias="fulfilledNumber")
    )
    fulfilled_at: datetime | None = field(
        default=None, metadata=field_options(alias="fulfilledAt")
    )

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Read `{"status", "data": {...}}` from its inside only."""
        inner = d.get("data")
        return super().__pre_deserialize__(
            dict(inner) if isinstance(inner, Mapping) and inner else d
        )


# ---------------------------------------------------------------------------
# Live events

_MESSAGE_EVENTS = frozenset(
    {EventType.MESSAGE_RECEIVED, EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED}
)
_MESSAGE_ID_KEYS = ("message_id", "messageId", "id", "message_handle", "messageHandle")
_LINE_KEYS = ("sendblue_number", "sendblueNumber", "line", "number", "phone_number")
_LINE_STATUS_KEYS = ("status", "line_status", "new_status")


def _first(data: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """Return the first non-empty text under one of keys."""
    return next((found for key in keys if (found := _identifier(data.get(key)))), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountEvent(_Model):
    """One event of the live stream; data is Sendblue's minimal, free-form object.

    Unknown types come as UNKNOWN with their wire name in type_name. Consumers
    deduplicate by id: a reconnect can deliver an event again.
    """

    id: str = field(metadata=field_options(deserialize=_identifier_or_empty))
    type: EventType = EventType.UNKNOWN
    type_name: str = ""
    occurred_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int | None = None

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Keep the wire name of the type."""
        d = super().__pre_deserialize__(d)
        return {**d, "type_name": _string(d.get("type")) or ""}

    @property
    def message(self) -> Message | None:
        """Return the message the event carries, if data holds one (not only ids).

        That is data with a message_handle and a status or a content.
        """
        data = self.data
        if _text(data.get("status")) is None and _string(data.get("content")) is None:
            return None
        message = Message.from_dict(data)
        return message if message.message_handle else None

    @property
    def message_id(self) -> str | None:
        """Return the id to fetch a message event's message with get_message.

        From data's message_id, id or message_handle; None for other events.
        """
        if self.type not in _MESSAGE_EVENTS:
            return None
        return _first(self.data, _MESSAGE_ID_KEYS)

    @property
    def typing_indicator(self) -> TypingIndicator | None:
        """Return the typing indicator of a typing.changed event.

        None unless data says is_typing; its timestamp falls back to occurred_at.
        """
        if self.type is not EventType.TYPING_CHANGED or not any(
            isinstance(self.data.get(key), bool) for key in ("is_typing", "isTyping")
        ):
            return None
        indicator = TypingIndicator.from_dict(self.data)
        if indicator.timestamp is None:
            return replace(indicator, timestamp=self.occurred_at)
        return indicator

    @property
    def line_state(self) -> LineState | None:
        """Return the line and its new status of a line.status.changed event.

        The line comes from data's sendblue_number (or line, number, phone_number),
        the status from status (or line_status, new_status); status_changed_at
        falls back to occurred_at. None if data names no line.
        """
        if self.type is not EventType.LINE_STATUS_CHANGED:
            return None
        if (line := _first(self.data, _LINE_KEYS)) is None:
            return None
        state = LineState.from_dict(
            {
                **self.data,
                "sendblue_number": line,
                "status": _first(self.data, _LINE_STATUS_KEYS),
            }
        )
        if state.status_changed_at is None:
            return replace(state, status_changed_at=self.occurred_at)
        return state
