"""Webhook ingest: a routine run on each text, three ways, in one real Home Assistant.

1. ours: the Sendblue webhook, then an `event` trigger automation on
   sendblue_message_received;
2. the do-it-yourself recipe users wrote before this integration: a `webhook`
   trigger automation with a template condition on a token in the URL's query;
3. a bare handler (parse JSON, fire an event, 200): the floor for any handler.

Both automations run the same action (fire an event carrying the text), which the
reference integration counts, so the benchmark reports routines completed per
second next to requests per second. Home Assistant runs as its own process (devtools
lays out the config directory and signs in), pinned to one core; wrk runs pinned to
another. Every handler gets the same bodies from the same wrk script in the same
run, each with a fresh message_handle and date_sent, in alternating order for
several rounds; medians are reported.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import statistics
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

import aiohttp
from yarl import URL

from devtools.common import DevToolsError, wait_until
from devtools.integration import DOMAIN, EVENT_MESSAGE_RECEIVED
from devtools.rest import HomeAssistantClient
from sendblue_simulator import RealClock, start_simulator

from .hass import (
    BASE_CONFIGURATION,
    REFERENCE,
    ROOT,
    RunningHomeAssistant,
    pin_cores,
    running_home_assistant,
)

LUA_SCRIPT = Path(__file__).resolve().parent / "ingest.lua"
PAYLOAD = ROOT / "tests" / "fixtures" / "webhook_message_received.json"
HANDLE_MARK, DATE_MARK = "@HANDLE@", "@DATE@"
OURS, DIY, BARE = "ours", "diy", "bare"
HANDLERS = (OURS, DIY, BARE)
# The handlers whose automation runs a routine per text.
ROUTINES = (OURS, DIY)
DIY_WEBHOOK_ID = "bench_diy_recipe"
# The automations' ids, as the probe names their runs.
AUTOMATION_IDS = {OURS: "bench_ours", DIY: "bench_diy"}
PROBE_PATH = f"/api/{REFERENCE}/probe"
# What the probe times, in µs per text (report.py words them).
HANDLER_PIECE, ROUTINE_PIECE = "handler", "routine"
OURS_PIECES = ("read", "parse", "inbound", "event entity", "sensors", "bus event")
BREAKDOWN_ROUNDS = 2
WARMUP_S = 2
# Both automations run in parallel mode so none of their runs is dropped under
# load; their action is the same, fed from their own trigger's variables.
AUTOMATIONS = Template(
    """\
automation:
  - id: $ours_id
    alias: "Benchmark: the Sendblue integration's event"
    mode: parallel
    max: 1000
    triggers:
      - trigger: event
        event_type: $event
    actions:
      - event: bench_routine_done
        event_data:
          route: $ours
          text: "{{ trigger.event.data.content }}"
  - id: $diy_automation_id
    alias: "Benchmark: the do-it-yourself webhook recipe"
    mode: parallel
    max: 1000
    triggers:
      - trigger: webhook
        webhook_id: $diy_id
        allowed_methods: [POST]
        local_only: false
    conditions:
      - condition: template
        value_template: "{{ trigger.query.token == '$token' }}"
    actions:
      - event: bench_routine_done
        event_data:
          route: $diy
          text: "{{ trigger.json.content }}"
"""
)


@dataclass(frozen=True, kw_only=True)
class LoadRun:
    """One wrk run against one handler."""

    handler: str
    concurrency: int
    requests_per_s: float
    routines_per_s: float
    p50_us: float
    p99_us: float
    cpu_us: float | None  # event-loop CPU per text handled
    gc_us: float  # of which the cyclic garbage collector
    failures: int
    missed: int  # answered requests whose routine never ran


@dataclass(frozen=True, kw_only=True)
class Load:
    """Medians of one handler's runs at one concurrency."""

    requests_per_s: float
    routines_per_s: float
    p50_us: float
    p99_us: float
    cpu_us: float | None
    gc_us: float


@dataclass(frozen=True, kw_only=True)
class IngestRow:
    """Medians of the rounds at one concurrency, for every handler."""

    concurrency: int
    rounds: int
    loads: dict[str, Load]
    ratio: float  # median of the paired routine ratios, ours / the DIY recipe
    ratios: tuple[float, float]  # the lowest and highest of those
    # The DIY recipe's event-loop CPU per text over ours (median of the pairs).
    cpu_ratio: float | None
    bare_ratio: float  # median of the paired request ratios, ours / bare
    failures: int
    missed: int


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    """The ingest benchmark's rows and how it was run."""

    rows: list[IngestRow]
    duration_s: float
    pinned: str
    processes: str
    # µs per text by handler and piece, timed by the probe at this concurrency.
    breakdown: dict[str, dict[str, float]]
    breakdown_concurrency: int


@dataclass(frozen=True, kw_only=True)
class Targets:
    """Where each handler listens, and what the requests carry."""

    base_url: str
    urls: dict[str, str]
    secret: str
    pid: int  # Home Assistant's

    def webhook_id(self, handler: str) -> str:
        """Return the webhook id a handler listens on."""
        return URL(self.urls[handler]).path.rsplit("/", 1)[-1]


def _body_template(line: str) -> bytes:
    """Return the documented inbound body, addressed to a line of the account."""
    payload: dict[str, Any] = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    documented_line = payload["to_number"]
    payload["message_handle"] = HANDLE_MARK
    payload["date_sent"] = payload["date_updated"] = DATE_MARK
    payload["to_number"] = payload["sendblue_number"] = line
    payload["participants"] = [
        line if number == documented_line else number
        for number in payload["participants"]
    ]
    return json.dumps(payload).encode()


def _fill(template: bytes, handle: str) -> bytes:
    """Return a body as wrk sends it: a handle of its own, sent now."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return template.replace(HANDLE_MARK.encode(), handle.encode()).replace(
        DATE_MARK.encode(), now.encode()
    )


def _targets(running: RunningHomeAssistant, token: str) -> Targets:
    """Return where each handler listens in a running Home Assistant."""
    base_url = running.base_url
    return Targets(
        base_url=base_url,
        urls={
            OURS: running.webhook_url,
            DIY: f"{base_url}/api/webhook/{DIY_WEBHOOK_ID}?token={token}",
            BARE: f"{base_url}/api/webhook/{REFERENCE}",
        },
        secret=running.secret,
        pid=running.pid,
    )


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What the reference integration has counted so far."""

    counts: dict[str, int]
    gc_s: float  # time in the cyclic garbage collector

    @classmethod
    async def take(cls, ha: HomeAssistantClient) -> Snapshot:
        """Ask Home Assistant."""
        report = await ha.request("GET", f"/api/{REFERENCE}")
        counts: dict[str, int] = report["counts"]
        return cls(
            counts={handler: counts.get(handler, 0) for handler in HANDLERS},
            gc_s=report["gc"]["seconds"],
        )


async def _wait_counts(
    ha: HomeAssistantClient, handler: str, at_least: int, what: str
) -> Snapshot:
    """Wait until a handler's count reaches at_least; return the snapshot."""

    async def probe() -> Snapshot | None:
        snapshot = await Snapshot.take(ha)
        return snapshot if snapshot.counts[handler] >= at_least else None

    return await wait_until(probe, within=30, what=what, interval=0.02)


async def _check_registered(ha: HomeAssistantClient, targets: Targets) -> None:
    """Fail unless every webhook is registered by the integration meant to serve it.

    Home Assistant answers 200 to a webhook id nobody registered, so a typo would
    measure nothing.
    """
    async with ha.websocket() as ws:
        hooks = {hook["webhook_id"]: hook for hook in await ws.command("webhook/list")}
    expected = {
        OURS: DOMAIN,
        DIY: "automation",
        BARE: REFERENCE,
    }
    for handler, domain in expected.items():
        webhook_id = targets.webhook_id(handler)
        registered = hooks.get(webhook_id, {}).get("domain")
        if registered != domain:
            msg = f"webhook {webhook_id} ({handler}): registered by {registered!r}"
            raise DevToolsError(msg)


async def _sanity_check(
    ha: HomeAssistantClient, targets: Targets, template: bytes
) -> None:
    """Post one text to each handler; each must run its routine exactly once."""
    headers = {"sb-signing-secret": targets.secret, "Content-Type": "application/json"}
    wrong_token = str(URL(targets.urls[DIY]).update_query(token="wrong"))  # noqa: S106
    before = (await Snapshot.take(ha)).counts
    posts = [(wrong_token, "sanity-wrong-token")] + [
        (targets.urls[handler], f"sanity-{handler}") for handler in HANDLERS
    ]
    async with aiohttp.ClientSession() as session:
        for url, handle in posts:
            async with session.post(
                url, data=_fill(template, handle), headers=headers
            ) as response:
                if response.status != 200:  # noqa: PLR2004
                    msg = f"{url} answered {response.status}"
                    raise DevToolsError(msg)
    for handler in HANDLERS:
        # Runs are tasks started in order, so the wrong token's would be done too.
        count = (
            await _wait_counts(
                ha, handler, before[handler] + 1, f"the {handler} routine"
            )
        ).counts[handler]
        if count != before[handler] + 1:
            msg = f"{handler}: {count - before[handler]} routines for one text"
            raise DevToolsError(msg)


async def _wrk(
    load_prefix: list[str],
    url: str,
    *,
    concurrency: int,
    seconds: float,
    template: Path,
    secret: str,
    run_id: str,
) -> dict[str, Any]:
    """Run wrk once and return what the script's done() reports."""
    wrk = shutil.which("wrk")
    if wrk is None:
        msg = "wrk is not installed (apt-get install wrk)"
        raise RuntimeError(msg)
    process = await asyncio.create_subprocess_exec(
        *load_prefix,
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds:g}s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        str(template),
        secret,
        run_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    lines = [line for line in stdout.decode().splitlines() if line.startswith("{")]
    if process.returncode or not lines:
        msg = f"wrk failed: {stderr.decode()} {stdout.decode()}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _loop_cpu_ns(pid: int) -> int | None:
    """Return the CPU time Home Assistant's main thread (its event loop) has used.

    Unlike throughput, it does not move when other processes take the core.
    """
    try:
        with Path(f"/proc/{pid}/schedstat").open(encoding="ascii") as stats:
            return int(stats.read().split()[0])
    except OSError, ValueError, IndexError:
        return None


class _Runner:
    """Runs wrk against one handler and counts the routines that ran."""

    def __init__(
        self,
        ha: HomeAssistantClient,
        targets: Targets,
        load_prefix: list[str],
        template: Path,
    ) -> None:
        """Post to targets with wrk pinned by load_prefix."""
        self.ha = ha
        self.targets = targets
        self.load_prefix = load_prefix
        self.template = template
        self.runs = 0

    async def measure(self, handler: str, concurrency: int, seconds: float) -> LoadRun:
        """Run wrk once; wait until every answered text has run its routine."""
        self.runs += 1
        cpu_before = _loop_cpu_ns(self.targets.pid)
        before = await Snapshot.take(self.ha)
        out = await _wrk(
            self.load_prefix,
            self.targets.urls[handler],
            concurrency=concurrency,
            seconds=seconds,
            template=self.template,
            secret=self.targets.secret,
            run_id=str(self.runs),
        )
        during = (await Snapshot.take(self.ha)).counts[handler]
        seconds_run = out["duration_us"] / 1e6
        expected = before.counts[handler] + out["requests"]
        # Requests cut off when wrk stopped may still be handled: at least as many.
        after = await _wait_counts(self.ha, handler, expected, f"{handler} routines")
        cpu_after = _loop_cpu_ns(self.targets.pid)
        texts = after.counts[handler] - before.counts[handler]
        failures = sum(
            out[key]
            for key in (
                "status_errors",
                "connect_errors",
                "read_errors",
                "write_errors",
                "timeouts",
            )
        )
        return LoadRun(
            handler=handler,
            concurrency=concurrency,
            requests_per_s=out["requests"] / seconds_run,
            routines_per_s=(during - before.counts[handler]) / seconds_run,
            p50_us=out["p50_us"],
            p99_us=out["p99_us"],
            cpu_us=(
                None
                if cpu_before is None or cpu_after is None
                else (cpu_after - cpu_before) / 1e3 / texts
            ),
            gc_us=(after.gc_s - before.gc_s) * 1e6 / texts,
            failures=failures,
            missed=max(0, expected - after.counts[handler]),
        )

    async def breakdown(
        self, concurrency: int, seconds: float, rounds: int
    ) -> dict[str, dict[str, float]]:
        """Time the pieces of each handler's texts; medians of µs per text."""
        pieces: dict[str, dict[str, list[float]]] = {}
        for round_number in range(rounds):
            order = HANDLERS if round_number % 2 == 0 else HANDLERS[::-1]
            for handler in order:
                await self.ha.request("POST", PROBE_PATH, json_body={"on": True})
                await self.measure(handler, concurrency, seconds)
                timings = await self.ha.request(
                    "POST", PROBE_PATH, json_body={"on": False}
                )
                for piece, micros in _pieces(handler, self.targets, timings):
                    pieces.setdefault(handler, {}).setdefault(piece, []).append(micros)
        return {
            handler: {piece: statistics.median(v) for piece, v in by_piece.items()}
            for handler, by_piece in pieces.items()
        }


def _pieces(
    handler: str, targets: Targets, timings: dict[str, list[float]]
) -> Iterator[tuple[str, float]]:
    """Yield µs per text of each piece the probe timed in a handler's run."""

    def micros(match: Callable[[str], bool]) -> float:
        return sum(s for label, (_, s) in timings.items() if match(label)) * 1e6

    webhook = f"webhook {targets.webhook_id(handler)}"
    automation = f"automation {AUTOMATION_IDS.get(handler)}"
    # Every text the handler got, answered before wrk stopped or not.
    texts = timings[webhook][0]
    handler_us = micros(lambda label: label == webhook)
    routine_us = micros(lambda label: label == automation)
    if handler == DIY:
        # The webhook trigger starts its automation inside the handler.
        handler_us -= routine_us
    yield HANDLER_PIECE, handler_us / texts
    if handler in AUTOMATION_IDS:
        yield ROUTINE_PIECE, routine_us / texts
    if handler != OURS:
        return
    matches: dict[str, Callable[[str], bool]] = {
        "read": lambda label: label == "read",
        "parse": lambda label: label == "parse",
        "inbound": lambda label: label == "inbound",
        "event entity": lambda label: label.startswith("write event."),
        "sensors": lambda label: label.startswith("write sensor."),
        "bus event": lambda label: label == f"fire {EVENT_MESSAGE_RECEIVED}",
    }
    for piece in OURS_PIECES:
        yield piece, micros(matches[piece]) / texts


async def run_ingest(
    *,
    duration_s: float = 4.0,
    rounds: int = 5,
    concurrencies: Sequence[int] = (1, 8),
    keep: Path | None = None,
) -> IngestResult:
    """Measure the three handlers; return medians per concurrency.

    keep: a directory for Home Assistant's config and log, kept afterwards.
    """
    ha_prefix, load_prefix, pinned = pin_cores()
    work = keep or Path(tempfile.mkdtemp(prefix="sendblue-bench-"))
    token = secrets.token_urlsafe(16)
    configuration = BASE_CONFIGURATION + AUTOMATIONS.substitute(
        event=EVENT_MESSAGE_RECEIVED,
        ours=OURS,
        diy=DIY,
        diy_id=DIY_WEBHOOK_ID,
        token=token,
        ours_id=AUTOMATION_IDS[OURS],
        diy_automation_id=AUTOMATION_IDS[DIY],
    )
    async with (
        start_simulator(clock=RealClock(), seed=1) as simulator,
        running_home_assistant(
            work, simulator, ha_prefix, configuration=configuration
        ) as running,
    ):
        ha, targets = running.ha, _targets(running, token)
        body = _body_template(simulator.lines[0])
        template = work / "body.json"
        template.write_bytes(body)
        await _check_registered(ha, targets)
        await _sanity_check(ha, targets, body)
        runner = _Runner(ha, targets, load_prefix, template)
        runs: list[LoadRun] = []
        for handler in HANDLERS:
            await runner.measure(handler, max(concurrencies), WARMUP_S)
        for concurrency in concurrencies:
            for round_number in range(rounds):
                # Forward, then backward, so drift during the run favours none.
                order = HANDLERS if round_number % 2 == 0 else HANDLERS[::-1]
                runs.extend(
                    [
                        await runner.measure(handler, concurrency, duration_s)
                        for handler in order
                    ]
                )
        breakdown = await runner.breakdown(
            max(concurrencies), duration_s, BREAKDOWN_ROUNDS
        )
    if keep is None:
        with suppress(OSError):
            shutil.rmtree(work)
    return IngestResult(
        rows=[_row(runs, concurrency, rounds) for concurrency in concurrencies],
        duration_s=duration_s,
        pinned=pinned,
        processes=(
            "One Home Assistant process (devtools), all three handlers in it; wrk"
            " with 1 thread as the load"
        ),
        breakdown=breakdown,
        breakdown_concurrency=max(concurrencies),
    )


def _row(runs: list[LoadRun], concurrency: int, rounds: int) -> IngestRow:
    """Summarize the rounds at one concurrency."""
    at = {
        handler: [
            r for r in runs if r.handler == handler and r.concurrency == concurrency
        ]
        for handler in HANDLERS
    }

    def medians(items: list[LoadRun]) -> Load:
        cpu = [r.cpu_us for r in items if r.cpu_us is not None]
        return Load(
            requests_per_s=statistics.median(r.requests_per_s for r in items),
            routines_per_s=statistics.median(r.routines_per_s for r in items),
            p50_us=statistics.median(r.p50_us for r in items),
            p99_us=statistics.median(r.p99_us for r in items),
            cpu_us=statistics.median(cpu) if cpu else None,
            gc_us=statistics.median(r.gc_us for r in items),
        )

    pairs = list(zip(at[OURS], at[DIY], strict=True))
    ratios = [a.routines_per_s / b.routines_per_s for a, b in pairs]
    cpu_ratios = [
        b.cpu_us / a.cpu_us for a, b in pairs if a.cpu_us and b.cpu_us is not None
    ]

    return IngestRow(
        concurrency=concurrency,
        rounds=rounds,
        loads={handler: medians(items) for handler, items in at.items()},
        ratio=statistics.median(ratios),
        ratios=(min(ratios), max(ratios)),
        cpu_ratio=statistics.median(cpu_ratios) if cpu_ratios else None,
        bare_ratio=statistics.median(
            a.requests_per_s / b.requests_per_s
            for a, b in zip(at[OURS], at[BARE], strict=True)
        ),
        failures=sum(r.failures for items in at.values() for r in items),
        missed=sum(r.missed for name in ROUTINES for r in at[name]),
    )
