"""In-memory records and their wire shapes (snake/camelCase quirks included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JSONDict = dict[str, Any]

SEND_STYLES = (
    "celebration",
    "shooting_star",
    "fireworks",
    "lasers",
    "love",
    "confetti",
    "balloons",
    "spotlight",
    "echo",
    "invisible",
    "gentle",
    "loud",
    "slam",
)
REACTIONS = ("love", "like", "dislike", "laugh", "emphasize", "question")
SERVICES = ("iMessage", "SMS", "RCS")
MESSAGE_STATUSES = (
    "REGISTERED",
    "PENDING",
    "SENT",
    "DELIVERED",
    "RECEIVED",
    "QUEUED",
    "ERROR",
    "DECLINED",
    "ACCEPTED",
    "SUCCESS",
)
WEBHOOK_TYPES = (
    "receive",
    "outbound",
    "typing_indicator",
    "call_log",
    "inbound_call",
    "line_blocked",
    "line_assigned",
    "contact_created",
    "contact_profile",
    "call_completed",
)
LINE_STATUSES = ("ONLINE", "OFFLINE", "DEGRADED", "UNKNOWN")
TERMINAL_STATUSES = frozenset({"DELIVERED", "ERROR", "DECLINED"})


def iso(value: datetime | None) -> str | None:
    """Format like Sendblue: ISO 8601, milliseconds, Z suffix."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class Message:
    """One message, inbound or outbound, 1:1 or group."""

    message_handle: str
    seq: int
    account_email: str
    content: str
    is_outbound: bool
    status: str
    from_number: str
    to_number: str | list[str]
    number: str | list[str]
    sendblue_number: str
    service: str
    message_type: str
    plan: str
    date_created: datetime
    date_sent: datetime
    date_updated: datetime
    media_url: str = ""
    group_id: str = ""
    participants: list[str] = field(default_factory=list)
    send_style: str = ""
    group_display_name: str | None = None
    opted_out: bool = False
    was_downgraded: bool | None = None
    error_code: int | None = None
    error_message: str | None = None
    error_reason: str | None = None
    error_detail: str | None = None
    error_key: str | None = None
    status_callback: str | None = None
    reply_to: JSONDict | None = None
    seat_id: str | None = None
    sender_email: str | None = None
    deleted: bool = False

    def webhook_payload(self) -> JSONDict:
        """Return the body POSTed to receive/outbound/status_callback (§11.2 keys)."""
        payload: JSONDict = {
            "accountEmail": self.account_email,
            "content": self.content,
            "is_outbound": self.is_outbound,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "error_reason": self.error_reason,
            "message_handle": self.message_handle,
            "date_sent": iso(self.date_sent),
            "date_updated": iso(self.date_updated),
            "from_number": self.from_number,
            "number": _copy(self.number),
            "to_number": _copy(self.to_number),
            "was_downgraded": self.was_downgraded,
            "plan": self.plan,
            "media_url": self.media_url,
            "message_type": self.message_type,
            "group_id": self.group_id,
            "participants": list(self.participants),
            "send_style": self.send_style,
            "opted_out": self.opted_out,
            "error_detail": self.error_detail,
            "sendblue_number": self.sendblue_number,
            "service": self.service,
            "group_display_name": self.group_display_name,
        }
        if self.reply_to is not None:
            payload["reply_to"] = dict(self.reply_to)
        return payload

    def record(self) -> JSONDict:
        """Return the /api/v2/messages record (webhook keys plus SDK-typed extras)."""
        record = self.webhook_payload()
        record["error_key"] = self.error_key
        record["seat_id"] = self.seat_id
        record["sender_email"] = self.sender_email
        return record

    def send_response(self) -> JSONDict:
        """Return the send/status response (§1.1 sample; group sample for groups)."""
        payload = self.webhook_payload()
        keys: tuple[str, ...] = _SEND_RESPONSE_KEYS
        if self.message_type != "group":
            keys += _SEND_RESPONSE_ONE_TO_ONE_KEYS
        response = {key: payload[key] for key in keys}
        if self.reply_to is not None:
            response["reply_to"] = payload["reply_to"]
        if self.seat_id is not None:
            response["seat_id"] = self.seat_id
            response["sender_email"] = self.sender_email
        return response


# The §1.1 send-message sample has these of the webhook's keys, in this order; the
# group sample stops before the one-to-one ones.
_SEND_RESPONSE_KEYS = (
    "accountEmail",
    "content",
    "is_outbound",
    "status",
    "error_code",
    "error_message",
    "message_handle",
    "date_sent",
    "date_updated",
    "from_number",
    "number",
    "to_number",
    "was_downgraded",
    "plan",
    "media_url",
    "message_type",
    "group_id",
)
_SEND_RESPONSE_ONE_TO_ONE_KEYS = (
    "participants",
    "send_style",
    "opted_out",
    "error_detail",
)


def _copy(value: str | list[str]) -> str | list[str]:
    """Copy a list so callers cannot mutate stored state."""
    return list(value) if isinstance(value, list) else value


@dataclass
class Group:
    """A group chat the account takes part in through one of its lines."""

    group_id: str
    line: str
    members: list[str]
    created_at: datetime
    updated_at: datetime
    worker_group_id: str
    name: str | None = None
    photo: JSONDict | None = None
    latest_message_id: str | None = None
    latest_comm_at: datetime | None = None

    def participants(self) -> list[str]:
        """Return the members plus the account's line, as in webhook `participants`."""
        return [*self.members, self.line]

    def as_v2(self) -> JSONDict:
        """Return the GET /api/v2/groups/{id} data object."""
        return {
            "created_at": iso(self.created_at),
            "group_id": self.group_id,
            "group_name": self.name,
            "group_photo": dict(self.photo) if self.photo else None,
            "latest_comm_at": iso(self.latest_comm_at),
            "latest_message_id": self.latest_message_id,
            "participant_numbers": [m for m in self.members if m.startswith("+")],
            "participants": [
                {
                    "contact_id": None,
                    "handle": member,
                    "name": None,
                    "participant_id": f"{self.group_id}:{index}",
                    "phone": member if member.startswith("+") else None,
                    "seat_id": None,
                    "type": "contact",
                }
                for index, member in enumerate(self.members)
            ],
            "updated_at": iso(self.updated_at),
            "worker_group_id": self.worker_group_id,
        }


@dataclass
class Contact:
    """An address-book contact (`/api/v2/contacts`)."""

    contact_id: str
    phone: str
    created_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    assigned_to_email: str | None = None
    sendblue_number: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_variables: dict[str, str] = field(default_factory=dict)
    opt_out: bool = False
    verified: bool = False

    def as_json(self) -> JSONDict:
        """Return the SDK `Contact` shape."""
        return {
            "assigned_to_email": self.assigned_to_email,
            "company_name": self.company_name,
            "contact_id": self.contact_id,
            "created_at": iso(self.created_at),
            "custom_variables": dict(self.custom_variables),
            "first_name": self.first_name,
            "last_name": self.last_name,
            "opt_out": self.opt_out,
            "phone": self.phone,
            "sendblue_number": self.sendblue_number,
            "tags": list(self.tags),
            "verified": self.verified,
        }


@dataclass
class Line:
    """A phone number of the account with its health and forwarding settings."""

    number: str
    worker_id: str
    status_changed_at: datetime
    status: str = "ONLINE"
    assignment: str = "assigned"
    degraded_since: datetime | None = None
    forwarding_number: str | None = None
    profile: JSONDict | None = None

    def state(self) -> JSONDict:
        """Return the `LineState` shape of /api/v2/lines/state."""
        return {
            "assignment": self.assignment,
            "sendblue_number": self.number,
            "status": self.status,
            "worker_id": self.worker_id,
            "degraded_since": iso(self.degraded_since),
            "effective_until": None,
            "status_changed_at": iso(self.status_changed_at),
        }


@dataclass
class Upload:
    """A file held by the simulator's media store."""

    media_object_id: str
    filename: str
    content_type: str
    data: bytes | None
    created_at: datetime
    source_url: str | None = None

    def summary(self) -> JSONDict:
        """Return metadata for the control API (no bytes)."""
        return {
            "media_object_id": self.media_object_id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data) if self.data is not None else None,
            "source_url": self.source_url,
            "created_at": iso(self.created_at),
        }


@dataclass
class Seat:
    """A dashboard seat (`/api/v2/seats`)."""

    seat_id: str
    email: str
    first_name: str
    last_name: str
    created_at: datetime
    forwarding_number: str | None = None

    def as_json(self, account: str) -> JSONDict:
        """Return the SDK seat shape."""
        return {
            "account": account,
            "created_at": iso(self.created_at),
            "email": self.email,
            "first_name": self.first_name,
            "forwarding_number": self.forwarding_number,
            "last_name": self.last_name,
            "seat_id": self.seat_id,
        }


@dataclass
class LineRequest:
    """A (deprecated) ticket asking Sendblue for a new line."""

    request_id: str
    desired_area_code: str | None
    created_at: datetime
    status: str = "OPEN"
    fulfilled_number: str | None = None
    fulfilled_at: datetime | None = None

    def as_json(self) -> JSONDict:
        """Return the ticket shape (camelCase, as documented)."""
        data: JSONDict = {
            "id": self.request_id,
            "type": "PHONE",
            "status": self.status,
            "desiredAreaCode": self.desired_area_code,
            "createdAt": iso(self.created_at),
        }
        if self.status == "FULFILLED":
            data["fulfilledNumber"] = self.fulfilled_number
            data["fulfilledAt"] = iso(self.fulfilled_at)
        return data
