"""The simulator's in-memory account: lines, messages, groups, contacts, webhooks."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock import Clock, Scheduler
from .events import DataShape, EventHub, EventSettings, message_data
from .faults import FaultInjector
from .limits import RateLimits
from .models import (
    TERMINAL_STATUSES,
    WEBHOOK_TYPES,
    Contact,
    Group,
    JSONDict,
    Line,
    LineRequest,
    Message,
    Seat,
    Upload,
    iso,
)
from .webhooks import WebhookDispatcher

DEFAULT_LINES = ("+15125550101", "+15125550102")
DEFAULT_ERROR_CODE = 10001
DEFAULT_ERROR_MESSAGE = "Message failed to send"
NEW_CONTACT_LOOKBACK_DAYS = 30


@dataclass
class SimulatorConfig:
    """Everything that shapes a simulator run."""

    host: str = "127.0.0.1"
    port: int = 0
    api_key_id: str = "sim-key-id"
    api_secret_key: str = "sim-secret-key"  # noqa: S105 -- a documented test credential
    lines: tuple[str, ...] = DEFAULT_LINES
    account_email: str = "demo@example.com"
    company_name: str = "Demo Company"
    plan: str = "dedicated"
    latency_ms: int = 0
    seed: int | None = None
    rate_limits: bool = True
    duplicate_deliveries: bool = False
    webhook_max_attempts: int = 3
    webhook_backoff_s: float = 1.0
    webhook_backoff_cap_s: float = 8.0
    webhook_timeout_s: float = 5.0
    max_upload_bytes: int = 100 * 1024 * 1024
    seats: tuple[tuple[str, str, str], ...] = (("agent@example.com", "Demo", "Agent"),)
    public_url: str | None = None
    control_port: int | None = None
    event_heartbeat_s: float = 15.0
    event_rotate_s: float = 900.0
    event_data_shape: str = "minimal"
    events_available: bool = True


@dataclass
class Activity:
    """Everything the account did that is not a message (for the control API)."""

    reactions: list[JSONDict] = field(default_factory=list)
    read_receipts: list[JSONDict] = field(default_factory=list)
    typing_indicators: list[JSONDict] = field(default_factory=list)
    inbound_typing: list[JSONDict] = field(default_factory=list)
    verifications: list[JSONDict] = field(default_factory=list)
    requests: list[JSONDict] = field(default_factory=list)


class SimulatorState:
    """The account and the rules that move its messages along."""

    def __init__(
        self, config: SimulatorConfig, clock: Clock, scheduler: Scheduler
    ) -> None:
        """Build a fresh account from config."""
        self.config = config
        self.clock = clock
        self.scheduler = scheduler
        self.dispatcher = WebhookDispatcher(
            scheduler,
            max_attempts=config.webhook_max_attempts,
            backoff_base=config.webhook_backoff_s,
            backoff_cap=config.webhook_backoff_cap_s,
            timeout=config.webhook_timeout_s,
        )
        self.limits = RateLimits(clock)
        self.faults = FaultInjector(config.seed)
        self.events = EventHub(
            scheduler,
            EventSettings(
                heartbeat_seconds=config.event_heartbeat_s,
                rotate_seconds=config.event_rotate_s,
                data_shape=DataShape(config.event_data_shape),
                available=config.events_available,
            ),
        )
        self.reset()

    # ----------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Forget everything and start again from the configuration (same seed)."""
        self.rng = random.Random(self.config.seed)  # noqa: S311 -- simulation, not cryptography
        self.latency_ms = self.config.latency_ms
        now = self.clock.now()
        self.lines: dict[str, Line] = {}
        for number in self.config.lines:
            self.add_line(number)
        self.messages: dict[str, Message] = {}
        self.groups: dict[str, Group] = {}
        self.contacts: dict[str, Contact] = {}
        self.opt_outs: set[str] = set()
        self.uploads: dict[str, Upload] = {}
        self.webhooks: dict[str, list[str | JSONDict]] = {
            kind: [] for kind in WEBHOOK_TYPES
        }
        self.global_secret: str | None = None
        self.error_numbers: dict[str, int] = {}
        self.service_overrides: dict[str, str] = {}
        self.seats = {
            seat.seat_id: seat
            for seat in (
                Seat(self.new_id(), email, first, last, now)
                for email, first, last in self.config.seats
            )
        }
        self.line_requests: dict[str, LineRequest] = {}
        self.previews: dict[str, datetime] = {}
        self.activity = Activity()
        self._seq = 0
        self.scheduler.clear()
        self.dispatcher.reset()
        self.dispatcher.duplicate = self.config.duplicate_deliveries
        self.limits.reset()
        self.limits.enabled = self.config.rate_limits
        self.faults.reset()
        self.events.reset()

    # ----------------------------------------------------------------- helpers

    def new_id(self) -> str:
        """Return a reproducible lowercase UUID4."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_hex(self, length: int = 12) -> str:
        """Return reproducible hex characters."""
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def next_seq(self) -> int:
        """Return the next insertion sequence number."""
        self._seq += 1
        return self._seq

    def add_line(self, number: str) -> Line:
        """Give the account another line."""
        line = Line(number, f"worker-{len(self.lines) + 1}", self.clock.now())
        self.lines[number] = line
        return line

    def assign_line(self, number: str) -> Line:
        """Give the account a line it asked for, and tell the event stream."""
        line = self.add_line(number)
        self.emit_event("line.assigned", {"sendblue_number": number})
        return line

    def set_line_status(self, line: Line, status: str) -> None:
        """Change a line's health, telling the event stream when it changed."""
        previous = line.status
        now = self.clock.now()
        line.status = status
        line.status_changed_at = now
        line.degraded_since = now if status == "DEGRADED" else None
        if status != previous:
            self.emit_event(
                "line.status.changed",
                {
                    "sendblue_number": line.number,
                    "status": status,
                    "previous_status": previous,
                    "status_changed_at": iso(now),
                },
            )

    def add_contact(self, phone: str) -> Contact:
        """Store an empty contact, and tell the event stream."""
        contact = Contact(
            self.new_id(), phone, self.clock.now(), opt_out=phone in self.opt_outs
        )
        self.contacts[phone] = contact
        self.emit_event(
            "contact.created",
            {
                "phone": phone,
                "contact_id": contact.contact_id,
                "created_at": iso(contact.created_at),
            },
        )
        return contact

    def service_for(self, number: str) -> str:
        """Service rule: override, else email or even last digit → iMessage."""
        if number in self.service_overrides:
            return self.service_overrides[number]
        if "@" in number:
            return "iMessage"
        return "iMessage" if int(number[-1]) % 2 == 0 else "SMS"

    def has_conversation(self, line: str, number: str) -> bool:
        """Tell whether line and number have exchanged a 1:1 message."""
        return any(
            msg.sendblue_number == line
            and msg.message_type == "message"
            and msg.number == number
            for msg in self.messages.values()
        )

    def visible_messages(self) -> list[Message]:
        """Return messages not soft-deleted, in insertion order."""
        return [msg for msg in self.messages.values() if not msg.deleted]

    # ----------------------------------------------------------------- groups

    def find_or_create_group(
        self, line: str, members: list[str], name: str | None = None
    ) -> Group:
        """Return the group of line with exactly these members (created if needed)."""
        wanted = set(members)
        for group in self.groups.values():
            if group.line == line and set(group.members) == wanted:
                return group
        now = self.clock.now()
        group = Group(
            group_id=self.new_id(),
            line=line,
            members=list(dict.fromkeys(members)),
            created_at=now,
            updated_at=now,
            worker_group_id=self.new_hex(16),
            name=name,
        )
        self.groups[group.group_id] = group
        return group

    # ----------------------------------------------------------------- messages

    def create_outbound(  # noqa: PLR0913 -- mirrors the send-message body
        self,
        *,
        line: str,
        to: str | list[str],
        content: str,
        media_url: str = "",
        send_style: str = "",
        status_callback: str | None = None,
        group: Group | None = None,
        reply_to: JSONDict | None = None,
        seat: Seat | None = None,
    ) -> Message:
        """Accept an outbound send: store it QUEUED, post QUEUED, schedule the rest."""
        now = self.clock.now()
        recipients = to if isinstance(to, list) else [to]
        services = {self.service_for(number) for number in recipients}
        service = services.pop() if len(services) == 1 else "SMS"
        msg = Message(
            message_handle=self.new_id(),
            seq=self.next_seq(),
            account_email=self.config.account_email,
            content=content,
            is_outbound=True,
            status="QUEUED",
            from_number=line,
            to_number=list(recipients) if group else recipients[0],
            number=list(recipients) if group else recipients[0],
            sendblue_number=line,
            service=service,
            message_type="group" if group else "message",
            plan=self.config.plan,
            date_created=now,
            date_sent=now,
            date_updated=now,
            media_url=media_url,
            group_id=group.group_id if group else "",
            participants=group.participants() if group else [],
            send_style=send_style,
            group_display_name=group.name if group else None,
            opted_out=any(number in self.opt_outs for number in recipients),
            status_callback=status_callback,
            reply_to=reply_to,
            seat_id=seat.seat_id if seat else None,
            sender_email=seat.email if seat else None,
        )
        self.messages[msg.message_handle] = msg
        if group is not None:
            group.latest_message_id = msg.message_handle
            group.latest_comm_at = now
        self.emit_message(msg, "message.created")
        self._schedule_progress(msg, recipients)
        return msg

    def _schedule_progress(self, msg: Message, recipients: list[str]) -> None:
        """Plan QUEUED → SENT → DELIVERED, or QUEUED → ERROR for error numbers."""
        step = self.latency_ms / 1000
        failing = [self.error_numbers[n] for n in recipients if n in self.error_numbers]
        if failing:
            code = failing[0]
            self.scheduler.call_later(step, lambda: self.transition(msg, "ERROR", code))
            return
        self.scheduler.call_later(step, lambda: self.transition(msg, "SENT"))
        self.scheduler.call_later(2 * step, lambda: self.transition(msg, "DELIVERED"))

    def transition(
        self, msg: Message, status: str, error_code: int | None = None
    ) -> None:
        """Move msg to status and post the change."""
        if msg.status in TERMINAL_STATUSES:
            return
        msg.status = status
        msg.date_updated = self.clock.now()
        if status == "SENT":
            msg.was_downgraded = msg.service == "SMS"
        if status == "ERROR":
            msg.error_code = error_code
            msg.error_message = DEFAULT_ERROR_MESSAGE
            msg.error_reason = "delivery_failed"
        self.emit_message(msg, "message.updated")

    def create_inbound(
        self,
        *,
        contact: str,
        line: str,
        content: str = "",
        media_url: str = "",
        service: str | None = None,
        group: Group | None = None,
    ) -> Message:
        """Store a message from contact to line and post it to receive webhooks."""
        now = self.clock.now()
        msg = Message(
            message_handle=self.new_id().upper(),
            seq=self.next_seq(),
            account_email=self.config.account_email,
            content=content,
            is_outbound=False,
            status="RECEIVED",
            from_number=contact,
            to_number=line,
            number=contact,
            sendblue_number=line,
            service=service or self.service_for(contact),
            message_type="group" if group else "message",
            plan=self.config.plan,
            date_created=now,
            date_sent=now,
            date_updated=now,
            media_url=media_url,
            group_id=group.group_id if group else "",
            participants=group.participants() if group else [contact, line],
            group_display_name=group.name if group else None,
            opted_out=contact in self.opt_outs,
        )
        self.messages[msg.message_handle] = msg
        if group is not None:
            group.latest_message_id = msg.message_handle
            group.latest_comm_at = now
        self.emit_message(msg, "message.received")
        return msg

    # ----------------------------------------------------------------- webhooks

    def webhook_targets(
        self, kind: str, line: str | None = None
    ) -> list[tuple[str, str | None]]:
        """Return (url, secret) for every webhook of kind that accepts line."""
        targets: list[tuple[str, str | None]] = []
        for entry in self.webhooks.get(kind, []):
            if isinstance(entry, str):
                targets.append((entry, self.global_secret))
                continue
            numbers = entry.get("sendblue_numbers")
            if kind == "receive" and numbers and line not in numbers:
                continue
            targets.append((entry["url"], entry.get("secret") or self.global_secret))
        return targets

    def emit_event(self, event_type: str, data: JSONDict) -> None:
        """Send an event whose data is the same in every shape to the event stream."""
        self.events.publish(event_type, lambda _shape: data)

    def emit_message(self, msg: Message, event_type: str) -> None:
        """Post msg's state to webhooks, status_callback and the event stream."""
        self.events.publish(event_type, lambda shape: message_data(msg, shape))
        body = msg.webhook_payload()
        if msg.is_outbound:
            for url, secret in self.webhook_targets("outbound"):
                self.dispatcher.enqueue("outbound", url, body, secret)
            if msg.status_callback:
                self.dispatcher.enqueue(
                    "status_callback", msg.status_callback, body, self.global_secret
                )
        else:
            for url, secret in self.webhook_targets("receive", msg.sendblue_number):
                self.dispatcher.enqueue("receive", url, body, secret)

    def emit_typing(self, contact: str, line: str, *, is_typing: bool) -> JSONDict:
        """Post a contact's typing indicator (§11.4) to typing_indicator webhooks."""
        body = {
            "number": contact,
            "is_typing": is_typing,
            "from_number": line,
            "timestamp": iso(self.clock.now()),
        }
        self.activity.inbound_typing.append(dict(body))
        self.emit_event("typing.changed", dict(body))
        for url, secret in self.webhook_targets("typing_indicator"):
            self.dispatcher.enqueue("typing_indicator", url, body, secret)
        return body

    def webhooks_json(self) -> JSONDict:
        """Return the `webhooks` object of GET /api/account/webhooks."""
        data: JSONDict = {
            kind: [
                entry if isinstance(entry, str) else dict(entry) for entry in entries
            ]
            for kind, entries in self.webhooks.items()
        }
        if self.global_secret is not None:
            data["globalSecret"] = self.global_secret
        return data

    # ----------------------------------------------------------------- usage

    def line_usage(self, line: str) -> JSONDict:
        """Return the /api/v2/lines/usage snapshot of one line (new-contact windows)."""
        now = self.clock.now()
        first: dict[str, Message] = {}
        for msg in sorted(self.messages.values(), key=lambda m: m.seq):
            if msg.sendblue_number == line and isinstance(msg.number, str):
                first.setdefault(msg.number, msg)
        new_contacts = [msg.date_created for msg in first.values() if msg.is_outbound]
        reset_at = _next_3am_eastern(now)
        day_start = reset_at - timedelta(days=1)
        hourly_used = sum(1 for at in new_contacts if at > now - timedelta(hours=1))
        daily_used = sum(1 for at in new_contacts if at >= day_start)
        hourly = {
            "limit": 15,
            "remaining": max(0, 15 - hourly_used),
            "used": hourly_used,
            "nextSlotAt": None,
        }
        daily = {
            "limit": 50,
            "remaining": max(0, 50 - daily_used),
            "used": daily_used,
            "nextSlotAt": None,
            "resetsAt": iso(reset_at),
        }
        limited = hourly["remaining"] == 0 or daily["remaining"] == 0
        return {
            "phone": line,
            "sampledAt": iso(now),
            "state": "limited" if limited else "available",
            "availableAt": None,
            "hourly": hourly,
            "daily": daily,
            "newContactLookbackDays": NEW_CONTACT_LOOKBACK_DAYS,
        }

    def dump(self) -> dict[str, Any]:
        """Return everything for GET /_sim/state."""
        return {
            "lines": [
                line.state() | {"forwarding_number": line.forwarding_number}
                for line in self.lines.values()
            ],
            "messages": [
                msg.record()
                | {"deleted": msg.deleted, "status_callback": msg.status_callback}
                for msg in self.messages.values()
            ],
            "groups": [group.as_v2() for group in self.groups.values()],
            "reactions": list(self.activity.reactions),
            "read_receipts": list(self.activity.read_receipts),
            "typing_indicators": list(self.activity.typing_indicators),
            "inbound_typing": list(self.activity.inbound_typing),
            "uploads": [upload.summary() for upload in self.uploads.values()],
            "contacts": [contact.as_json() for contact in self.contacts.values()],
            "opt_outs": sorted(self.opt_outs),
            "verifications": list(self.activity.verifications),
            "webhooks": self.webhooks_json(),
            "deliveries": [record.as_json() for record in self.dispatcher.records],
            "requests": list(self.activity.requests),
            "faults": [rule.as_json() for rule in self.faults.rules],
            "events": self.events.dump(),
            "line_requests": [
                request.as_json() for request in self.line_requests.values()
            ],
            "settings": {
                "latency_ms": self.latency_ms,
                "rate_limits": self.limits.enabled,
                "duplicate_deliveries": self.dispatcher.duplicate,
                "error_numbers": dict(self.error_numbers),
                "service_overrides": dict(self.service_overrides),
            },
        }


def _next_3am_eastern(now: datetime) -> datetime:
    """Return the next 3 AM America/New_York after now (the daily reset)."""
    local = now.astimezone(_EASTERN)
    candidate = local.replace(hour=3, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)


def _eastern() -> tzinfo:
    """Return America/New_York, or fixed UTC-5 when no tz database is installed."""
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-5))


_EASTERN = _eastern()
