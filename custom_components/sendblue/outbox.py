"""The outbox of an entry: sends that failed for a reason that heals keep trying.

A send that fails on a connection error, a timeout, a 429 or a 5xx is saved (in
the outbox's own Store, so it survives restarts and reloads) and tried again
until it goes out or its time is up; the caller hears at once that it was
queued. Validation and authentication failures are never queued. Per
conversation, messages go out in the order they were sent.

Never twice. Sendblue has no idempotency key, so a message that may have reached
it (the client's ambiguous failures: a timeout, a reset, a 5xx) is looked for
before it is sent again: an outbound message from the same line to the same
recipient or group, with the same text and media, created since the item's
first attempt. Each item claims at most one such message and never one another
item or a direct send has, so two identical alerts each need their own. Only a
failure that provably never reached Sendblue (no connection could be made, or a
429) is sent again without looking. The outbox saves that an item is being tried
before it sends it, so an attempt cut short by a restart is looked for too.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .api import (
    Message,
    MessageFilters,
    MessageType,
    SendblueCannotConnectError,
    SendblueClient,
    SendblueConnectionError,
    SendblueError,
    SendblueRateLimitError,
    SendblueServerError,
    SendStyle,
)
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_LINE, DOMAIN, EVENT_OUTBOX, LOGGER
from .data import Addressed, SendblueConfigEntry, SentLines
from .errors import start_reauth
from .issues import clear_issue, raise_issue

STORAGE_VERSION = 1
# When full, the oldest messages expire to make room.
MAX_QUEUED = 500
# Handles of messages sent or found, which no item may claim again.
MAX_CLAIMED = 1000
# Between attempts of a message Sendblue answered with an error (or did not answer).
RETRY_BASE = timedelta(seconds=2)
RETRY_MAX = timedelta(minutes=5)
# While no connection can be made, one message at a time probes this often; a
# refused connection costs Sendblue nothing, and the outbox empties soon after
# Sendblue is back.
PROBE_BASE = timedelta(seconds=0.5)
PROBE_MAX = timedelta(seconds=2)
# A request Sendblue still works on when we gave up on it has ended by then.
SETTLE = timedelta(seconds=30)
# Sendblue's clock may be a little behind ours when we look for a message.
CLOCK_SKEW = timedelta(minutes=1)
# Outcomes are saved this soon; what must be on disk first is saved at once.
SAVE_DELAY = 1.0
ISSUE_EXPIRED = "outbox_expired_{entry_id}"


class Status(StrEnum):
    """What became of a queued message, as the sendblue_outbox event says."""

    QUEUED = "queued"
    SENT = "sent"
    EXPIRED = "expired"
    FAILED = "failed"


def heals(err: SendblueError) -> bool:
    """Tell whether a failed send may go out if tried again later."""
    return isinstance(
        err, SendblueConnectionError | SendblueRateLimitError | SendblueServerError
    )


def never_sent(err: SendblueError) -> bool:
    """Tell whether a failed send provably never reached Sendblue."""
    return isinstance(err, SendblueCannotConnectError | SendblueRateLimitError)


def backoff(base: timedelta, most: timedelta, failures: int) -> timedelta:
    """Return the wait after a number of failures: doubling, capped, jittered."""
    # The exponent stops growing long after the cap is reached.
    wait = min(most, base * (1 << min(max(0, failures - 1), 20)))
    # Between half and all of it, so that many clients do not knock at once.
    return wait * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def _moment(value: str | None) -> datetime | None:
    """Read a saved time."""
    return dt_util.parse_datetime(value) if value else None


class _SavedItem(TypedDict):
    """One message as saved."""

    outbox_id: str
    line: str
    to: str | None
    group_id: str | None
    members: list[str]
    content: str | None
    media_url: str | None
    send_style: str | None
    reply_to: str | None
    queued_at: str
    deadline: str
    next_try: str
    first_attempt: str | None
    attempts: int
    ambiguous: bool
    error: str | None


class _Saved(TypedDict):
    """The stored document."""

    items: list[_SavedItem]
    claimed: list[str]


@dataclass(kw_only=True)
class OutboxItem:
    """A queued message and how trying it went."""

    outbox_id: str
    message: Addressed
    queued_at: datetime
    deadline: datetime
    next_try: datetime
    first_attempt: datetime | None = None
    attempts: int = 0
    # Sendblue may have it: look for it before sending it again.
    ambiguous: bool = False
    error: str | None = None

    def saved(self) -> _SavedItem:
        """Return the item as saved."""
        message = self.message
        return {
            "outbox_id": self.outbox_id,
            "line": message.line,
            "to": message.to,
            "group_id": message.group_id,
            "members": list(message.members),
            "content": message.content,
            "media_url": message.media_url,
            "send_style": message.send_style.value if message.send_style else None,
            "reply_to": message.reply_to,
            "queued_at": self.queued_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "next_try": self.next_try.isoformat(),
            "first_attempt": (
                self.first_attempt.isoformat() if self.first_attempt else None
            ),
            "attempts": self.attempts,
            "ambiguous": self.ambiguous,
            "error": self.error,
        }

    @classmethod
    def from_saved(cls, saved: _SavedItem) -> OutboxItem:
        """Return the item that was saved."""
        style = saved["send_style"]
        queued_at = _moment(saved["queued_at"]) or dt_util.utcnow()
        return cls(
            outbox_id=saved["outbox_id"],
            message=Addressed(
                line=saved["line"],
                to=saved["to"],
                group_id=saved["group_id"],
                members=tuple(saved["members"]),
                content=saved["content"],
                media_url=saved["media_url"],
                send_style=SendStyle(style) if style else None,
                reply_to=saved["reply_to"],
            ),
            queued_at=queued_at,
            deadline=_moment(saved["deadline"]) or queued_at,
            next_try=_moment(saved["next_try"]) or queued_at,
            first_attempt=_moment(saved["first_attempt"]),
            attempts=saved["attempts"],
            ambiguous=saved["ambiguous"],
            error=saved["error"],
        )


def result_of(message: Addressed, sent: Message) -> dict[str, Any]:
    """Return what a caller learns about a message that went out."""
    if message.to:
        key: dict[str, Any] = {"to": message.to}
    else:
        # A group given by its members is known by its id from now on.
        key = {"group_id": message.group_id or sent.group_id}
    return {
        **key,
        "message_handle": sent.message_handle,
        "status": sent.status.value,
        "service": sent.service.value if sent.service else None,
    }


def queued_result(item: OutboxItem) -> dict[str, Any]:
    """Return what a caller learns about a message that was queued."""
    message = item.message
    key = {"to": message.to} if message.to else {"group_id": message.group_id}
    return {
        **key,
        "message_handle": None,
        "status": Status.QUEUED,
        "service": None,
        "outbox_id": item.outbox_id,
    }


def failed_result(message: Addressed, err: SendblueError) -> dict[str, Any]:
    """Return a failure that was not queued, for the caller to report."""
    key = {"to": message.to} if message.to else {"group_id": message.group_id}
    return {**key, "error": err}


def _same(message: Addressed, found: Message) -> bool:
    """Tell whether a message Sendblue has is this one."""
    if (found.content or "") != (message.content or ""):
        return False
    # Sendblue may host the media elsewhere: having some is what must agree.
    if bool(found.media_url) != bool(message.media_url):
        return False
    if message.members:
        members = set(found.recipients) | set(found.participants)
        return set(message.members) - {message.line} <= members
    if message.to:
        return found.message_type is not MessageType.GROUP and message.to in (
            found.to_number,
            found.number,
            *found.recipients,
        )
    return True


def outbox_store(hass: HomeAssistant, entry_id: str) -> Store[_Saved]:
    """Return the Store of an entry's outbox (its own file, next to the entry's)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox", private=True)


@dataclass
class _Turn:
    """The lock of one conversation, and how many wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class SendblueOutbox:
    """The saved outbox of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SendblueConfigEntry,
        client: SendblueClient,
        sent_lines: SentLines,
    ) -> None:
        """Initialize an empty outbox (load it before use)."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._sent_lines = sent_lines
        self._store = outbox_store(hass, entry.entry_id)
        self._items: list[OutboxItem] = []
        self._claimed: OrderedDict[str, None] = OrderedDict()
        # Messages with an attempt (or a look) under way.
        self._trying: set[str] = set()
        self._turns: dict[tuple[str, str], _Turn] = {}
        # Lines Sendblue asked to wait (429), until when.
        self._held: dict[str, datetime] = {}
        # No connection could be made: one message at a time probes.
        self._unreachable = False
        self._probes = 0
        self._probe_at: datetime | None = None
        self._timer: CALLBACK_TYPE | None = None
        self._listeners: list[Callable[[], None]] = []
        self._save_lock = asyncio.Lock()
        self._dirty = False
        self._stopped = False
        # An entry that never queued anything leaves no file behind.
        self._on_disk = False
        self._issue_id = ISSUE_EXPIRED.format(entry_id=entry.entry_id)

    # -- life cycle -------------------------------------------------------------

    async def async_load(self) -> None:
        """Read what was queued when the entry last ran."""
        saved = await self._store.async_load()
        if not saved:
            return
        self._on_disk = True
        for item in saved.get("items", []):
            try:
                self._items.append(OutboxItem.from_saved(item))
            except KeyError, TypeError, ValueError:
                LOGGER.warning("Dropped a queued message that could not be read")
        self._claimed = OrderedDict.fromkeys(saved.get("claimed", []))

    @callback
    def async_start(self) -> None:
        """Start trying what is queued, and notice when Sendblue answers again."""
        coordinator = self._entry.runtime_data.coordinator

        @callback
        def polled() -> None:
            if coordinator.last_update_success and self._unreachable:
                self._probe_at = dt_util.utcnow()
                self._async_schedule()

        self._entry.async_on_unload(coordinator.async_add_listener(polled))
        self._async_schedule()

    async def async_stop(self) -> None:
        """Stop trying and save the outbox as it is (attempts under way included)."""
        self._stopped = True
        self._cancel_timer()
        if self._on_disk:
            await self._store.async_save(self._document())

    # -- what the rest of the integration sees ------------------------------------

    @property
    def queued(self) -> int:
        """Return how many messages wait to go out."""
        return len(self._items)

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener whenever the queue changes; return what stops that."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return how much is queued and how trying goes, without any content."""
        return {
            "queued": len(self._items),
            "ambiguous": sum(item.ambiguous for item in self._items),
            "attempts": sum(item.attempts for item in self._items),
            "unreachable": self._unreachable,
            "lines_held": len(self._held),
            "claimed": len(self._claimed),
        }

    async def async_send(
        self, message: Addressed, *, retry_for: timedelta
    ) -> dict[str, Any]:
        """Send now, or queue when it fails for a reason that heals; say which."""
        # A stopped outbox belongs to an entry that is unloading.
        keep = retry_for > timedelta(0) and not self._stopped
        async with self._turn(message.chat):
            now = dt_util.utcnow()
            if keep and (self._waits(message.chat) or self._is_held(message, now)):
                # Behind what is queued for the chat, or while Sendblue is away.
                return queued_result(await self._async_queue(message, retry_for))
            try:
                sent = await self._async_post(message)
            except SendblueError as err:
                if not keep or not heals(err):
                    return failed_result(message, err)
                item = await self._async_queue(message, retry_for, err, tried=now)
                return queued_result(item)
        self._delivered(message, sent)
        # Sendblue answers again: what waited for it may go.
        self._async_schedule()
        return result_of(message, sent)

    # -- queueing -----------------------------------------------------------------

    def _waits(self, chat: tuple[str, str]) -> bool:
        """Tell whether something is queued for a chat (it goes first)."""
        return any(item.message.chat == chat for item in self._items)

    def _is_held(self, message: Addressed, now: datetime) -> bool:
        """Tell whether Sendblue is away or asked the line to wait."""
        held = self._held.get(message.line)
        return self._unreachable or (held is not None and held > now)

    @asynccontextmanager
    async def _turn(self, chat: tuple[str, str]) -> AsyncIterator[None]:
        """Send to one chat at a time, so that a failure is queued before the next."""
        turn = self._turns.setdefault(chat, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self._turns[chat]

    async def _async_queue(
        self,
        message: Addressed,
        retry_for: timedelta,
        err: SendblueError | None = None,
        *,
        tried: datetime | None = None,
    ) -> OutboxItem:
        """Queue a message (after its first attempt, if it had one) and save."""
        now = dt_util.utcnow()
        item = OutboxItem(
            outbox_id=ulid_now(),
            message=message,
            queued_at=now,
            deadline=now + retry_for,
            next_try=now,
            first_attempt=tried,
        )
        if err is not None:
            self._note_failure(item, err, now, was_ambiguous=False)
        self._items.append(item)
        if (excess := len(self._items) - MAX_QUEUED) > 0:
            # Room for it: the oldest messages that are not being tried expire.
            idle = [i for i in self._items if i.outbox_id not in self._trying]
            full = f"The outbox was full ({MAX_QUEUED} messages)"
            for oldest in idle[:excess]:
                self._finish(oldest, Status.EXPIRED, error=full)
        self._notify()
        await self._async_save()
        self._async_schedule()
        return item

    def _note_failure(
        self,
        item: OutboxItem,
        err: SendblueError,
        now: datetime,
        *,
        was_ambiguous: bool,
    ) -> None:
        """Record a failure that heals and when to try again."""
        item.attempts += 1
        item.error = str(err)
        item.ambiguous = was_ambiguous if never_sent(err) else True
        if isinstance(err, SendblueCannotConnectError):
            self._probes += 1
            self._unreachable = True
            self._probe_at = now + backoff(PROBE_BASE, PROBE_MAX, self._probes)
            item.next_try = now
            return
        self._reachable()
        if isinstance(err, SendblueRateLimitError) and err.retry_after is not None:
            # Sendblue said how long the whole line must wait.
            wait = timedelta(seconds=err.retry_after)
            self._held[item.message.line] = now + wait
        else:
            wait = backoff(RETRY_BASE, RETRY_MAX, item.attempts)
        if item.ambiguous:
            wait = max(wait, SETTLE)
        item.next_try = now + wait

    def _reachable(self) -> None:
        """Sendblue answered: stop probing, every waiting message may go."""
        self._unreachable = False
        self._probes = 0
        self._probe_at = None

    # -- trying -------------------------------------------------------------------

    @callback
    def _async_schedule(self) -> None:
        """Expire, start what is due, and set the timer for what comes next."""
        if self._stopped:
            return
        self._cancel_timer()
        now = dt_util.utcnow()
        self._held = {line: until for line, until in self._held.items() if until > now}
        idle = [i for i in self._items if i.outbox_id not in self._trying]
        for item in [i for i in idle if i.deadline <= now]:
            if item.ambiguous and not self._unreachable:
                # It may have gone out: look once more before saying it did not.
                self._async_start_work([item], now, expiring=True)
            else:
                self._finish(item, Status.EXPIRED, error=item.error)
        if due := self._due(now):
            self._async_start_work(due, now)
        if (wake := self._next_wake()) is not None:
            self._timer = async_track_point_in_utc_time(
                self._hass, self._async_wake, wake
            )

    @callback
    def _async_wake(self, _now: datetime) -> None:
        """Run what fell due."""
        self._timer = None
        self._async_schedule()

    def _cancel_timer(self) -> None:
        """Cancel the timer, if set."""
        if self._timer is not None:
            self._timer()
            self._timer = None

    def _heads(self) -> list[OutboxItem]:
        """Return the first message of every chat that is not being tried."""
        heads: dict[tuple[str, str], OutboxItem] = {}
        for item in self._items:
            heads.setdefault(item.message.chat, item)
        return [item for item in heads.values() if item.outbox_id not in self._trying]

    def _ready_at(self, item: OutboxItem) -> datetime:
        """Return when a chat's first message may be tried."""
        moments = [item.next_try]
        if held := self._held.get(item.message.line):
            moments.append(held)
        if self._unreachable and self._probe_at is not None:
            moments.append(self._probe_at)
        return max(moments)

    def _due(self, now: datetime) -> list[OutboxItem]:
        """Return the messages to try now."""
        due = [item for item in self._heads() if self._ready_at(item) <= now]
        if not self._unreachable:
            return due
        # One probe at a time while no connection can be made.
        return due[:1] if not self._trying else []

    def _next_wake(self) -> datetime | None:
        """Return when something is next due or expires."""
        # A probe under way says when to go on by finishing.
        probing = self._unreachable and self._trying
        moments = [] if probing else [self._ready_at(i) for i in self._heads()]
        moments += [i.deadline for i in self._items if i.outbox_id not in self._trying]
        return min(moments, default=None)

    @callback
    def _async_start_work(
        self, items: list[OutboxItem], now: datetime, *, expiring: bool = False
    ) -> None:
        """Mark the items as being tried and try them in the background."""
        jobs = []
        for item in items:
            self._trying.add(item.outbox_id)
            jobs.append((item, item.ambiguous))
            if not expiring:
                item.first_attempt = item.first_attempt or now
                # Until it is known to have failed before reaching Sendblue.
                item.ambiguous = True
        # Not eager: the work starts once the schedule it came from is done.
        self._entry.async_create_background_task(
            self._hass,
            self._async_work(jobs, expiring=expiring),
            f"{DOMAIN} outbox",
            eager_start=False,
        )

    async def _async_work(
        self, jobs: list[tuple[OutboxItem, bool]], *, expiring: bool
    ) -> None:
        """Save that the items are being tried, then try each."""
        if not expiring:
            await self._async_save()
        await asyncio.gather(
            *(
                self._async_try(item, was_ambiguous=was, expiring=expiring)
                for item, was in jobs
            )
        )

    async def _async_try(
        self, item: OutboxItem, *, was_ambiguous: bool, expiring: bool
    ) -> None:
        """Look for the message where it may have gone out, else send it."""
        try:
            found = await self._async_find(item) if was_ambiguous else None
            if found is None and expiring:
                self._finish(item, Status.EXPIRED, error=item.error)
                return
            sent = found or await self._async_post(item.message)
        except SendblueError as err:
            if expiring or not heals(err):
                start_reauth(self._hass, self._entry, err)
                status = Status.EXPIRED if expiring else Status.FAILED
                self._finish(item, status, error=str(err))
            else:
                now = dt_util.utcnow()
                self._note_failure(item, err, now, was_ambiguous=was_ambiguous)
                self._save_soon()
            LOGGER.debug("Queued message %s failed: %s", item.outbox_id, err)
        except Exception as err:  # noqa: BLE001 - logged with its traceback
            # A bug must not make the message be tried again and again at once.
            LOGGER.exception("Queued message %s could not be tried", item.outbox_id)
            self._finish(item, Status.FAILED, error=str(err))
        else:
            self._items.remove(item)
            self._delivered(item.message, sent)
            self._fire(item, Status.SENT, handle=sent.message_handle)
            self._save_soon()
            self._notify()
        finally:
            self._trying.discard(item.outbox_id)
            self._async_schedule()

    async def _async_post(self, message: Addressed) -> Message:
        """Send a message once."""
        fields: dict[str, Any] = {
            "from_number": message.line,
            "content": message.content,
            "media_url": message.media_url,
            "send_style": message.send_style,
            "reply_to": message.reply_to,
        }
        client = self._client
        if message.to:
            return await client.send_message(number=message.to, **fields)
        if message.group_id:
            return await client.send_group_message(group_id=message.group_id, **fields)
        return await client.send_group_message(numbers=list(message.members), **fields)

    async def _async_find(self, item: OutboxItem) -> Message | None:
        """Return the message Sendblue has for an item that no one claimed, if any."""
        message = item.message
        since = (item.first_attempt or item.queued_at) - CLOCK_SKEW
        filters: MessageFilters = {
            "is_outbound": True,
            "sendblue_number": message.line,
            "created_at_gte": since,
            "order_by": "createdAt",
            "order_direction": "asc",
        }
        if message.to:
            filters["number"] = message.to
        elif message.group_id:
            filters["group_id"] = message.group_id
        else:
            filters["message_type"] = MessageType.GROUP
        async for page in self._client.iter_message_pages(**filters):
            for found in page.messages:
                handle = found.message_handle
                if handle and handle not in self._claimed and _same(message, found):
                    LOGGER.debug("Queued message %s had gone out", item.outbox_id)
                    return found
        return None

    # -- outcomes -----------------------------------------------------------------

    def _delivered(self, message: Addressed, sent: Message) -> None:
        """Remember a message that went out; nothing may claim it any more."""
        self._reachable()
        if handle := sent.message_handle:
            self._claimed[handle] = None
            while len(self._claimed) > MAX_CLAIMED:
                self._claimed.popitem(last=False)
            self._sent_lines.remember(handle, message.line)
        clear_issue(self._hass, self._issue_id)

    def _finish(self, item: OutboxItem, status: Status, *, error: str | None) -> None:
        """Drop a message that will not go out, and say so."""
        self._items.remove(item)
        self._fire(item, status, error=error)
        if status is Status.EXPIRED:
            self._raise_expired()
        self._save_soon()
        self._notify()

    def _raise_expired(self) -> None:
        """Raise (or count up) the repair saying messages did not go out in time."""
        issue = ir.async_get(self._hass).async_get_issue(DOMAIN, self._issue_id)
        before = (issue.translation_placeholders or {}) if issue else {}
        count = int(before.get("count", "0")) + 1
        raise_issue(
            self._hass,
            self._issue_id,
            "outbox_expired",
            {"title": self._entry.title, "count": str(count)},
            fixable=True,
        )

    def _fire(
        self,
        item: OutboxItem,
        status: Status,
        *,
        handle: str | None = None,
        error: str | None = None,
    ) -> None:
        """Fire sendblue_outbox for what became of a queued message."""
        self._hass.bus.async_fire(
            EVENT_OUTBOX,
            {
                ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
                "outbox_id": item.outbox_id,
                "to": item.message.recipient,
                ATTR_LINE: item.message.line,
                "status": status,
                "message_handle": handle,
                "error": error,
            },
        )

    def _notify(self) -> None:
        """Tell the listeners (the queued-messages sensor) that the queue changed."""
        for listener in list(self._listeners):
            listener()

    # -- saving -------------------------------------------------------------------

    def _document(self) -> _Saved:
        """Return what is saved."""
        return {
            "items": [item.saved() for item in self._items],
            "claimed": list(self._claimed),
        }

    def _save_soon(self) -> None:
        """Save outcomes shortly (a stopped outbox leaves the file to its successor)."""
        if not self._stopped:
            self._on_disk = True
            self._store.async_delay_save(self._document, SAVE_DELAY)

    async def _async_save(self) -> None:
        """Write the outbox now; callers at the same time share writes."""
        self._dirty = True
        async with self._save_lock:
            if self._dirty and not self._stopped:
                self._dirty = False
                self._on_disk = True
                await self._store.async_save(self._document())
