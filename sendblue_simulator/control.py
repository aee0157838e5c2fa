"""The control side: a Python API and the same operations over HTTP under /_sim/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable, Mapping
from datetime import timedelta
from typing import Any, Protocol, Unpack

from aiohttp import web

from .clock import TimerHandle
from .errors import ApiError, is_e164, is_email, is_url
from .events import EventOptions, MalformedKind
from .faults import FaultKind, FaultRule
from .http import read_body
from .models import LINE_STATUSES, SERVICES, JSONDict, iso
from .state import DEFAULT_ERROR_CODE, SimulatorState

_LOGGER = logging.getLogger(__name__)
DEFAULT_MAX_SIMULATED_S = 86_400.0


class Listener(Protocol):
    """The server side of an outage: the API port can stop and start listening."""

    @property
    def listening(self) -> bool:
        """Tell whether the API port accepts connections."""
        ...

    async def stop_listening(self, *, keep: object | None = None) -> None:
        """Refuse connections on the API port and close the open ones (but keep)."""
        ...

    async def start_listening(self) -> None:
        """Accept connections on the same API port again."""
        ...


class SimulatorControl:
    """Drive and inspect a simulator from tests, the demo and benchmarks."""

    def __init__(self, state: SimulatorState, listener: Listener | None = None) -> None:
        """Wrap the simulator state (and the server, for outages)."""
        self._state = state
        self._listener = listener
        self._outage_until: float | None = None
        self._outage_timer: TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- inspect

    def state(self) -> dict[str, Any]:
        """Return the whole state dump (what GET /_sim/state returns)."""
        return self._state.dump() | {"server": self.server()}

    def server(self) -> JSONDict:
        """Return whether the API port listens, and until when an outage lasts."""
        until = None
        if self._outage_until is not None:
            clock = self._state.clock
            until = iso(
                clock.now() + timedelta(seconds=self._outage_until - clock.monotonic())
            )
        return {
            "listening": self._listener is None or self._listener.listening,
            "outage_until": until,
        }

    def events(self) -> JSONDict:
        """Return the event stream's settings, counters and open streams."""
        return self._state.events.dump()

    def messages(self, *, outbound: bool | None = None) -> list[JSONDict]:
        """Return stored message records (soft-deleted ones included, flagged)."""
        return [
            msg.record()
            | {"deleted": msg.deleted, "status_callback": msg.status_callback}
            for msg in self._state.messages.values()
            if outbound is None or msg.is_outbound == outbound
        ]

    def message(self, handle: str) -> JSONDict:
        """Return one message record by handle."""
        msg = self._state.messages[handle]
        return msg.record() | {
            "deleted": msg.deleted,
            "status_callback": msg.status_callback,
        }

    def reactions(self) -> list[JSONDict]:
        """Return the reactions the account sent."""
        return list(self._state.activity.reactions)

    def read_receipts(self) -> list[JSONDict]:
        """Return the read receipts the account sent."""
        return list(self._state.activity.read_receipts)

    def typing_indicators(self) -> list[JSONDict]:
        """Return the typing indicators the account sent."""
        return list(self._state.activity.typing_indicators)

    def uploads(self) -> list[JSONDict]:
        """Return metadata of uploaded files and media objects."""
        return [upload.summary() for upload in self._state.uploads.values()]

    def upload_bytes(self, media_object_id: str) -> bytes | None:
        """Return the stored bytes of an upload."""
        return self._state.uploads[media_object_id].data

    def contacts(self) -> list[JSONDict]:
        """Return the stored contacts."""
        return [contact.as_json() for contact in self._state.contacts.values()]

    def webhooks(self) -> JSONDict:
        """Return the registered webhooks (as GET /api/account/webhooks would)."""
        return self._state.webhooks_json()

    def deliveries(self, *, event: str | None = None) -> list[JSONDict]:
        """Return every webhook POST attempt (URL, headers, body, response status)."""
        return [
            r.as_json()
            for r in self._state.dispatcher.records
            if event is None or r.event == event
        ]

    def requests(self) -> list[JSONDict]:
        """Return the API request log (secrets redacted)."""
        return list(self._state.activity.requests)

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._state.activity.requests.clear()

    # ---------------------------------------------------------------- inject

    def inject_inbound(
        self,
        *,
        from_number: str,
        to_number: str | None = None,
        content: str = "",
        media_url: str = "",
        service: str | None = None,
        group_id: str | None = None,
        participants: Iterable[str] | None = None,
        group_display_name: str | None = None,
    ) -> JSONDict:
        """Deliver a message from a contact to a line; return the stored record."""
        state = self._state
        line = to_number or next(iter(state.lines))
        if line not in state.lines:
            msg = f"to_number {line} is not a line of the account"
            raise ValueError(msg)
        if not (is_e164(from_number) or is_email(from_number)):
            msg = "from_number must be E.164 or an email"
            raise ValueError(msg)
        if not content and not media_url:
            msg = "content or media_url is required"
            raise ValueError(msg)
        if media_url and not is_url(media_url):
            msg = "media_url must be an http(s) URL"
            raise ValueError(msg)
        if service is not None and service not in SERVICES:
            msg = f"service must be one of {SERVICES}"
            raise ValueError(msg)
        group = None
        if group_id is not None:
            group = state.groups.get(group_id)
            if group is None:
                msg = f"unknown group_id {group_id}"
                raise ValueError(msg)
        elif participants is not None:
            members = [
                p for p in dict.fromkeys([*participants, from_number]) if p != line
            ]
            group = state.find_or_create_group(line, members)
        if group is not None and group_display_name is not None:
            group.name = group_display_name
        return state.create_inbound(
            contact=from_number,
            line=line,
            content=content,
            media_url=media_url,
            service=service,
            group=group,
        ).record()

    def inject_typing(
        self, *, from_number: str, to_number: str | None = None, is_typing: bool = True
    ) -> JSONDict:
        """Post a contact's typing indicator to typing_indicator webhooks."""
        line = to_number or next(iter(self._state.lines))
        if line not in self._state.lines or not is_e164(from_number):
            msg = "from_number must be E.164 and to_number a line of the account"
            raise ValueError(msg)
        return self._state.emit_typing(from_number, line, is_typing=is_typing)

    # ---------------------------------------------------------------- configure

    def add_fault(
        self,
        kind: FaultKind | str,
        *,
        count: int | None = None,
        probability: float | None = None,
        path_prefix: str | None = None,
        retry_after: int = 1,
        delay_ms: int = 5000,
        after: bool = False,
    ) -> JSONDict:
        """Fault the next count requests, or a share; after: once they were handled."""
        if probability is not None and not 0 <= probability <= 1:
            msg = "probability must be between 0 and 1"
            raise ValueError(msg)
        if count is not None and count < 1:
            msg = "count must be positive"
            raise ValueError(msg)
        rule = FaultRule(
            FaultKind(kind),
            count=count,
            probability=probability,
            path_prefix=path_prefix,
            retry_after=retry_after,
            delay_ms=delay_ms,
            after=after,
        )
        return self._state.faults.add(rule).as_json()

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._state.faults.rules.clear()

    def set_error_numbers(
        self,
        numbers: Mapping[str, int] | Iterable[str],
        error_code: int = DEFAULT_ERROR_CODE,
    ) -> None:
        """Make sends to these numbers end in ERROR (with an error_code each)."""
        if isinstance(numbers, Mapping):
            self._state.error_numbers = {str(k): int(v) for k, v in numbers.items()}
        else:
            self._state.error_numbers = dict.fromkeys(numbers, error_code)

    def set_service(self, number: str, service: str) -> None:
        """Override the service (iMessage/SMS/RCS) used for a number."""
        if service not in SERVICES:
            msg = f"service must be one of {SERVICES}"
            raise ValueError(msg)
        self._state.service_overrides[number] = service

    def set_line_status(self, number: str, status: str) -> None:
        """Set a line's health status (ONLINE, OFFLINE, DEGRADED, UNKNOWN)."""
        line = self._state.lines.get(number)
        if line is None or status not in LINE_STATUSES:
            msg = "unknown line or status"
            raise ValueError(msg)
        self._state.set_line_status(line, status)

    def fulfill_line_request(
        self, request_id: str, number: str | None = None
    ) -> JSONDict:
        """Fulfil a line request ticket, adding the line to the account."""
        state = self._state
        ticket = state.line_requests.get(request_id)
        if ticket is None:
            msg = f"unknown line request {request_id}"
            raise ValueError(msg)
        area = (ticket.desired_area_code or "512")[:3]
        number = number or f"+1{area}555{state.rng.randrange(200, 300):04d}"
        state.assign_line(number)
        ticket.status = "FULFILLED"
        ticket.fulfilled_number = number
        ticket.fulfilled_at = state.clock.now()
        return ticket.as_json()

    def set_latency(self, latency_ms: int) -> None:
        """Set the time between status steps of later sends."""
        self._state.latency_ms = max(0, latency_ms)

    def set_duplicate_deliveries(self, *, enabled: bool) -> None:
        """Deliver every webhook event twice (at-least-once behaviour)."""
        self._state.dispatcher.duplicate = enabled

    def set_rate_limits(self, *, enabled: bool) -> None:
        """Turn the per-line and /api/v2/messages rate limits on or off."""
        self._state.limits.enabled = enabled

    def reset(self) -> None:
        """Forget everything (same seed, same lines); an outage runs on to its end."""
        self._state.reset()
        if self._outage_until is not None:
            # reset cleared the scheduler, and with it the end of the outage.
            self._arm_outage_end(self._outage_until - self._state.clock.monotonic())

    # ---------------------------------------------------------------- events

    def configure_events(self, **options: Unpack[EventOptions]) -> JSONDict:
        """Set the stream's heartbeat_seconds, rotate_seconds, data_shape, available."""
        return self._state.events.configure(**options)

    def drop_streams(self) -> int:
        """End every open event stream now; return how many."""
        return self._state.events.drop()

    def stall_streams(self) -> int:
        """Keep open streams open but write nothing more to them until resumed."""
        return self._state.events.stall()

    def resume_streams(self) -> int:
        """Let stalled streams write heartbeats and events again."""
        return self._state.events.resume()

    def send_malformed(self, kind: MalformedKind | str) -> int:
        """Write one bad frame of kind to every open stream; return how many."""
        return self._state.events.malformed(kind)

    async def wait_for_streams(self, count: int, max_wait: float = 5.0) -> JSONDict:
        """Wait (at most max_wait real seconds) until exactly count streams are open."""
        async with asyncio.timeout(max_wait):
            await self._state.events.wait_for_streams(count)
        return self.events()

    # ---------------------------------------------------------------- outage

    def _require_listener(self) -> Listener:
        """Return the server, which an outage needs."""
        if self._listener is None:
            msg = "this control has no server to take down"
            raise RuntimeError(msg)
        return self._listener

    async def outage(self, seconds: float, *, keep: object | None = None) -> JSONDict:
        """Refuse connections on the API port for seconds of clock time."""
        listener = self._require_listener()
        if isinstance(seconds, bool) or not seconds > 0:
            msg = "seconds must be a positive number"
            raise ValueError(msg)
        self._outage_until = self._state.clock.monotonic() + seconds
        self._arm_outage_end(seconds)
        await listener.stop_listening(keep=keep)
        return self.server()

    async def end_outage(self) -> JSONDict:
        """Listen on the API port again now."""
        listener = self._require_listener()
        self._cancel_outage_end()
        await listener.start_listening()
        return self.server()

    def _arm_outage_end(self, seconds: float) -> None:
        """Plan the end of the outage on the simulator clock."""
        if self._outage_timer is not None:
            self._outage_timer.cancel()
        self._outage_timer = self._state.scheduler.call_later(
            seconds, self._outage_over
        )

    def _cancel_outage_end(self) -> None:
        """Forget the planned end of the outage."""
        if self._outage_timer is not None:
            self._outage_timer.cancel()
            self._outage_timer = None
        self._outage_until = None

    def _outage_over(self) -> None:
        """Start listening again (from the scheduler, which cannot await)."""
        self._cancel_outage_end()
        self._spawn(self._require_listener().start_listening())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work in a task that drain() waits for."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    async def close(self) -> None:
        """Cancel work in flight (the server is stopping)."""
        self._cancel_outage_end()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------- time

    def now(self) -> str | None:
        """Return the simulator's current wall time."""
        return iso(self._state.clock.now())

    async def drain(self) -> None:
        """Run work that is due now and wait until the delivery queue is empty."""
        state = self._state
        while True:
            state.scheduler.run_due()
            await state.dispatcher.join()
            if self._tasks:
                await asyncio.gather(*self._tasks)
            if not state.scheduler.has_due():
                return

    async def advance(self, seconds: float) -> None:
        """Move simulated time forward, running everything that falls due, in order."""
        state = self._state
        clock = state.clock
        target = clock.monotonic() + max(0.0, seconds)
        while True:
            await self.drain()
            due = state.scheduler.next_due()
            if due is None or due > target:
                break
            clock.advance(due - clock.monotonic())
        clock.advance(target - clock.monotonic())
        await self.drain()

    async def run_until_idle(
        self, max_seconds: float = DEFAULT_MAX_SIMULATED_S
    ) -> None:
        """Advance time until nothing is scheduled (statuses final, retries done)."""
        state = self._state
        start = state.clock.monotonic()
        while True:
            await self.drain()
            # Heartbeats and rotations of open streams never end; they are not work.
            due = state.scheduler.next_work_due()
            if due is None or due - start > max_seconds:
                return
            await self.advance(due - state.clock.monotonic())

    async def wait_for_deliveries(
        self, count: int, max_wait: float = 5.0
    ) -> list[JSONDict]:
        """Wait (at most max_wait real seconds) for count webhook attempts."""
        async with asyncio.timeout(max_wait):
            records = await self._state.dispatcher.wait_for(count)
        return [record.as_json() for record in records]


def _log_failure(task: asyncio.Task[None]) -> None:
    """Say why background work failed (nobody may be waiting for it)."""
    if not task.cancelled() and (err := task.exception()) is not None:
        _LOGGER.error("Simulator background work failed", exc_info=err)


# -------------------------------------------------------------------- HTTP


CONTROL = web.AppKey("sendblue_simulator_control", SimulatorControl)


def _control(request: web.Request) -> SimulatorControl:
    """Return the control object of the app."""
    return request.app[CONTROL]


def _bad(err: Exception) -> ApiError:
    """Turn a control ValueError into a 400 envelope."""
    return ApiError(400, {"status": "ERROR", "message": str(err)})


def _flag(body: Mapping[str, Any], name: str) -> bool | None:
    """Return a JSON boolean field (None when absent)."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _bad(ValueError(f"{name} must be true or false"))
    return value


def _seconds(value: object, *, allow_zero: bool = True) -> float:
    """Return a JSON number of seconds (non-negative, or positive)."""
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise _bad(ValueError(f"seconds must be a {kind} number"))
    return float(value)


async def _state(request: web.Request) -> web.Response:
    """GET /_sim/state[/{section}]."""
    dump = _control(request).state()
    section = request.match_info.get("section")
    if section is None:
        return web.json_response(dump)
    if section not in dump:
        raise ApiError(
            404, {"status": "ERROR", "message": f"Unknown section {section}"}
        )
    return web.json_response(dump[section])


async def _inbound(request: web.Request) -> web.Response:
    """POST /_sim/inbound."""
    body = await read_body(request)
    allowed = {
        "from_number",
        "to_number",
        "content",
        "media_url",
        "service",
        "group_id",
        "participants",
        "group_display_name",
    }
    try:
        record = _control(request).inject_inbound(
            **{k: v for k, v in body.items() if k in allowed}
        )
    except (TypeError, ValueError) as err:
        raise _bad(err) from err
    return web.json_response(record)


async def _typing(request: web.Request) -> web.Response:
    """POST /_sim/typing."""
    body = await read_body(request)
    try:
        payload = _control(request).inject_typing(
            from_number=str(body.get("from_number")),
            to_number=body.get("to_number"),
            is_typing=bool(body.get("is_typing", True)),
        )
    except ValueError as err:
        raise _bad(err) from err
    return web.json_response(payload)


async def _add_fault(request: web.Request) -> web.Response:
    """POST /_sim/faults."""
    body = await read_body(request)
    allowed = {"count", "probability", "path_prefix", "retry_after", "delay_ms"}
    after = _flag(body, "after")
    try:
        rule = _control(request).add_fault(
            str(body.get("kind")),
            **{k: v for k, v in body.items() if k in allowed},
            after=bool(after),
        )
    except (TypeError, ValueError) as err:
        raise _bad(err) from err
    return web.json_response(rule)


async def _clear_faults(request: web.Request) -> web.Response:
    """DELETE /_sim/faults."""
    _control(request).clear_faults()
    return web.json_response({"status": "OK"})


async def _error_numbers(request: web.Request) -> web.Response:
    """POST /_sim/error-numbers {numbers: [..] | {number: code}, error_code?}."""
    body = await read_body(request)
    numbers = body.get("numbers") or []
    if not isinstance(numbers, (list, dict)):
        raise _bad(ValueError("numbers must be a list or an object"))
    _control(request).set_error_numbers(
        numbers, int(body.get("error_code", DEFAULT_ERROR_CODE))
    )
    return web.json_response({"status": "OK"})


async def _settings(request: web.Request) -> web.Response:
    """POST /_sim/settings {latency_ms, duplicate_deliveries, rate_limits, services}."""
    control = _control(request)
    body = await read_body(request)
    try:
        if "latency_ms" in body:
            control.set_latency(int(body["latency_ms"]))
        if "duplicate_deliveries" in body:
            control.set_duplicate_deliveries(enabled=bool(body["duplicate_deliveries"]))
        if "rate_limits" in body:
            control.set_rate_limits(enabled=bool(body["rate_limits"]))
        for number, service in (body.get("services") or {}).items():
            control.set_service(number, service)
    except (TypeError, ValueError) as err:
        raise _bad(err) from err
    return web.json_response(control.state()["settings"])


async def _line_status(request: web.Request) -> web.Response:
    """POST /_sim/lines/{number}/status {status}."""
    body = await read_body(request)
    try:
        _control(request).set_line_status(
            request.match_info["number"], str(body.get("status"))
        )
    except ValueError as err:
        raise _bad(err) from err
    return web.json_response({"status": "OK"})


async def _fulfill(request: web.Request) -> web.Response:
    """POST /_sim/line-requests/{request_id}/fulfill {number?}."""
    body = await read_body(request)
    try:
        ticket = _control(request).fulfill_line_request(
            request.match_info["request_id"], body.get("number")
        )
    except ValueError as err:
        raise _bad(err) from err
    return web.json_response(ticket)


async def _reset(request: web.Request) -> web.Response:
    """POST /_sim/reset."""
    _control(request).reset()
    return web.json_response({"status": "OK"})


async def _advance(request: web.Request) -> web.Response:
    """POST /_sim/advance {seconds}."""
    body = await read_body(request)
    seconds = _seconds(body.get("seconds"))
    control = _control(request)
    await control.advance(seconds)
    return web.json_response({"status": "OK", "now": control.now()})


async def _drain(request: web.Request) -> web.Response:
    """POST /_sim/drain."""
    control = _control(request)
    await control.drain()
    return web.json_response({"status": "OK", "deliveries": len(control.deliveries())})


async def _clear_requests(request: web.Request) -> web.Response:
    """DELETE /_sim/requests."""
    _control(request).clear_requests()
    return web.json_response({"status": "OK"})


async def _event_settings(request: web.Request) -> web.Response:
    """POST /_sim/events/settings {heartbeat_seconds, rotate_seconds, ...}."""
    body = await read_body(request)
    available = _flag(body, "available")
    try:
        events = _control(request).configure_events(
            heartbeat_seconds=body.get("heartbeat_seconds"),
            rotate_seconds=body.get("rotate_seconds"),
            data_shape=body.get("data_shape"),
            available=available,
        )
    except (TypeError, ValueError) as err:
        raise _bad(err) from err
    return web.json_response(events)


async def _drop_streams(request: web.Request) -> web.Response:
    """POST /_sim/events/drop."""
    return web.json_response({"streams": _control(request).drop_streams()})


async def _stall_streams(request: web.Request) -> web.Response:
    """POST /_sim/events/stall."""
    return web.json_response({"streams": _control(request).stall_streams()})


async def _resume_streams(request: web.Request) -> web.Response:
    """POST /_sim/events/resume."""
    return web.json_response({"streams": _control(request).resume_streams()})


async def _malformed(request: web.Request) -> web.Response:
    """POST /_sim/events/malformed {kind}."""
    body = await read_body(request)
    try:
        streams = _control(request).send_malformed(str(body.get("kind")))
    except ValueError as err:
        raise _bad(err) from err
    return web.json_response({"streams": streams})


async def _wait_for_streams(request: web.Request) -> web.Response:
    """POST /_sim/events/wait {count, max_wait?} (504 when max_wait passes first)."""
    body = await read_body(request)
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _bad(ValueError("count must be a non-negative integer"))
    max_wait = _seconds(body.get("max_wait", 5.0))
    try:
        events = await _control(request).wait_for_streams(count, max_wait)
    except TimeoutError:
        raise ApiError(
            504,
            {"status": "ERROR", "message": f"{count} open streams not reached"},
        ) from None
    return web.json_response(events)


async def _outage(request: web.Request) -> web.Response:
    """POST /_sim/outage {seconds}: the API port refuses connections meanwhile."""
    body = await read_body(request)
    seconds = _seconds(body.get("seconds"), allow_zero=False)
    # On a shared port this very connection must live to carry the answer.
    server = await _control(request).outage(seconds, keep=request.protocol)
    response = web.json_response(server)
    response.force_close()
    return response


async def _end_outage(request: web.Request) -> web.Response:
    """DELETE /_sim/outage: listen on the API port again now."""
    return web.json_response(await _control(request).end_outage())


def setup(app: web.Application, control: SimulatorControl) -> None:
    """Register the /_sim/ routes."""
    app[CONTROL] = control
    app.router.add_get("/_sim/state", _state)
    app.router.add_get("/_sim/state/{section}", _state)
    app.router.add_post("/_sim/inbound", _inbound)
    app.router.add_post("/_sim/typing", _typing)
    app.router.add_post("/_sim/faults", _add_fault)
    app.router.add_delete("/_sim/faults", _clear_faults)
    app.router.add_post("/_sim/error-numbers", _error_numbers)
    app.router.add_post("/_sim/settings", _settings)
    app.router.add_post("/_sim/lines/{number}/status", _line_status)
    app.router.add_post("/_sim/line-requests/{request_id}/fulfill", _fulfill)
    app.router.add_post("/_sim/reset", _reset)
    app.router.add_post("/_sim/advance", _advance)
    app.router.add_post("/_sim/drain", _drain)
    app.router.add_delete("/_sim/requests", _clear_requests)
    app.router.add_post("/_sim/events/settings", _event_settings)
    app.router.add_post("/_sim/events/drop", _drop_streams)
    app.router.add_post("/_sim/events/stall", _stall_streams)
    app.router.add_post("/_sim/events/resume", _resume_streams)
    app.router.add_post("/_sim/events/malformed", _malformed)
    app.router.add_post("/_sim/events/wait", _wait_for_streams)
    app.router.add_post("/_sim/outage", _outage)
    app.router.add_delete("/_sim/outage", _end_outage)
