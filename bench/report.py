"""Render benchmark results as Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from .hardening import BOMBS, CORRUPT_REQUESTS, HardeningRun, Latencies
from .ingest import (
    BARE,
    BREAKDOWN_ROUNDS,
    DIY,
    HANDLER_PIECE,
    OURS,
    ROUTINE_PIECE,
    IngestResult,
    Load,
)
from .inprocess import AtRestRow, FanOutRow, MemoryPoint, OutboxRow, SetupTime
from .machine import Machine

INGEST_GOAL = 1.00
FAN_OUT_GOAL = 1.10
OUTBOX_GOAL = 1.10
DELAY_GOAL_MS = 100
LOG_LINES_GOAL = 10
MIB = 1024 * 1024

INGEST_INTRO = (
    "A routine run on every text, three ways: **ours**, the Sendblue webhook and an"
    " `event` trigger automation on `sendblue_message_received`; **DIY**, the recipe"
    " users wrote before this integration, a `webhook` trigger automation with a"
    " template condition comparing a token in the URL's query; **bare**, a webhook"
    " that parses JSON, fires an event and answers 200 (the floor for any handler)."
    " Both automations run in parallel mode and do the same thing (fire an event"
    " carrying the text, counted in Home Assistant), so routines/s is routines"
    " completed per second. Every text is the documented inbound payload"
    " (`tests/fixtures/webhook_message_received.json`, addressed to a simulator line)"
    " with its own `message_handle` and a `date_sent` of the moment it was sent (to"
    " the microsecond), so dedupe never short-circuits and every text moves the"
    " line's `last_received`. Before measuring, every webhook is checked as"
    " registered by the integration meant to serve it, both custom integrations as"
    " loaded from this repository, and one text to each as running its routine once."
)
FAN_OUT_INTRO = (
    "The simulator allows 10 sends/s per line (burst 10) and answers 429 beyond; the"
    " client paces each line at the same rate. Floor = N / (10 per second). Each size"
    " uses a line that has not sent yet, so its burst of 10 is available and the true"
    " minimum is (N - 10) / 10 s."
)
OUTBOX_INTRO = (
    "The simulator refuses connections (its port closed) while 100 messages are"
    " queued on one line, stays down 5 s, then listens again; rate limit on (10/s,"
    " burst 10), the client paces as always. Measured from Sendblue listening again"
    " to an empty outbox (the first message taken is the outbox's probe); floor ="
    " 100 / (10 per second). Baseline, same run: the same messages sent with"
    " Sendblue up (the action's wall time)."
)
HARDENING_INTRO = (
    "A caller without the secret, against a real Home Assistant process (devtools,"
    " Sendblue set up through the config flow), once with the integration as it was"
    " before the hardening and once with this tree's. First {corrupt} corrupt-gzip"
    " requests (a gzip header, then a deflate block of the reserved type), one"
    " after the other: the lines they add to `home-assistant.log`, counted between"
    " two marker lines written through `system_log.write`. Then {bombs} gzip bombs"
    " at once (100 MB of zeros, about 100 KB compressed, `Content-Encoding: gzip`),"
    " while a process of its own polls an authenticated `GET /api/` every 10 ms:"
    " its answer times for 3 s before, and during the attack until 2 s after the"
    " last bomb was answered. Added delay = the slowest answer during the attack"
    " minus the median one before."
)
AT_REST_INTRO = (
    "Requests counted at the simulator over one hour of Home Assistant time"
    " (freezegun + `async_fire_time_changed`, 10 s steps) with nothing happening;"
    " polling at the default 10 s interval."
)
MEMORY_INTRO = (
    "Unique deliveries through the inbound path (parse, dedupe, events) in process."
    " Remembered keys are capped at 4,096. Dedupe structures: the remembered keys and"
    " the handle-to-line map with everything they hold (`sys.getsizeof`, each object"
    " once). Traced growth: all Python allocations since the first delivery"
    " (tracemalloc)."
)

INGEST_HEADER = (
    "| concurrency | handler | requests/s | routines/s | p50 | p99"
    " | event-loop CPU per text (of which the garbage collector) |"
)
OUTBOX_HEADER = (
    "| shape | back → empty | first taken after | floor"
    " | empty / floor (goal ≤ 1.10) | sent directly | empty / direct"
    " | 429s at the simulator (goal 0) | failed |"
)
INGEST_RATIO_HEADER = (
    "| concurrency | ours / DIY, routines/s (goal ≥ 1.00) | lowest, highest round"
    " | DIY / ours, event-loop CPU per text | ours / bare, requests/s"
    " | failed requests, missed routines |"
)
BREAKDOWN_INTRO = (
    "Where a text's time goes inside Home Assistant: the reference integration's"
    " probe wraps each piece where Home Assistant or the integration looks it up"
    " and times it in CPU time of the event loop's thread, during runs of their"
    " own, {rounds} per handler at concurrency {concurrency}, after the runs above;"
    " µs per text, medians. Not timed: the HTTP server in front of every webhook"
    " (about the bare handler's event-loop CPU per text above). Each timed piece"
    " adds about 0.6 µs to the piece around it."
)
BREAKDOWN_PIECES = (
    (
        HANDLER_PIECE,
        (
            "the webhook: Home Assistant's dispatch and the handler, without the"
            " automation run"
        ),
    ),
    ("read", "of which: body read and JSON decode (`webhook._read_payload`)"),
    ("parse", "of which: the typed parse (`api.parse_webhook`)"),
    (
        "inbound",
        (
            "of which: the inbound step (`SendblueInbound.async_process`): dedupe,"
            " event data, the bus event, the line's entities"
        ),
    ),
    ("event entity", "of which: the line's event entity writing its state"),
    ("sensors", "of which: the activity sensors writing their state"),
    (
        "bus event",
        (
            "of which: firing `sendblue_message_received` (with handing it to the"
            " automation's trigger)"
        ),
    ),
    (ROUTINE_PIECE, "the automation run, trigger to action done"),
)
HANDLER_NAMES = {
    OURS: "ours (webhook + `event` automation)",
    DIY: "DIY (`webhook` automation + token condition)",
    BARE: "bare handler",
}
FAN_OUT_HEADER = (
    "| recipients | wall time | floor | wall / floor (goal ≤ 1.10)"
    " | 429s at the simulator (goal 0) | failed recipients |"
)


@dataclass
class Results:
    """Whatever benchmarks ran, with how long each took."""

    machine: Machine
    ingest: IngestResult | None = None
    fan_out: list[FanOutRow] | None = None
    outbox: list[OutboxRow] | None = None
    at_rest: list[AtRestRow] | None = None
    setup: SetupTime | None = None
    memory: list[MemoryPoint] | None = None
    hardening: list[HardeningRun] | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _verdict(met: bool) -> str:  # noqa: FBT001 -- a table cell
    """Return a goal verdict."""
    return "met" if met else "**not met**"


def _section(title: str, intro: str, header: str) -> list[str]:
    """Return a section's heading, introduction and table header."""
    columns = header.count("|") - 1
    return [f"## {title}", "", intro, "", header, "|" + "---|" * columns]


def _load(load: Load, *, routines: bool) -> str:
    """Return one handler's medians as table cells."""
    cpu = "n/a" if load.cpu_us is None else f"{load.cpu_us:,.0f} µs"
    cpu += f" (GC {load.gc_us:,.1f} µs)"
    rate = f"{load.routines_per_s:,.0f}" if routines else "n/a"
    return (
        f"{load.requests_per_s:,.0f} | {rate} | {load.p50_us:,.0f} µs"
        f" | {load.p99_us:,.0f} µs | {cpu}"
    )


def _ingest(result: IngestResult) -> list[str]:
    """Return the ingest section."""
    rounds = result.rows[0].rounds if result.rows else 0
    how = (
        f"{INGEST_INTRO} {result.processes}; {result.pinned}; keep-alive loopback"
        f" connections; {result.duration_s:g} s runs, the order of the three"
        f" alternated {rounds} times; medians; ratios = medians of the ratios within"
        " a round. Event-loop CPU per text: CPU time of Home Assistant's main thread"
        " (`/proc/PID/schedstat`) over a run and until its last routine ran, per"
        " text; unlike throughput it holds when other processes share the core."
    )
    lines = _section(
        "Webhook ingest (real Home Assistant process, wrk)",
        how,
        INGEST_HEADER,
    )
    lines += [
        f"| {row.concurrency} | {HANDLER_NAMES[name]}"
        f" | {_load(row.loads[name], routines=name != BARE)} |"
        for row in result.rows
        for name in (OURS, DIY, BARE)
    ]
    lines += ["", INGEST_RATIO_HEADER, "|---|---|---|---|---|---|"]
    for row in result.rows:
        low, high = row.ratios
        cpu = "n/a" if row.cpu_ratio is None else f"{row.cpu_ratio:.2f}"
        lines.append(
            f"| {row.concurrency}"
            f" | {row.ratio:.2f} ({_verdict(row.ratio >= INGEST_GOAL)})"
            f" | {low:.2f}, {high:.2f} | {cpu} | {row.bare_ratio:.2f}"
            f" | {row.failures}, {row.missed} |"
        )
    return [*lines, "", *_breakdown(result)]


def _breakdown(result: IngestResult) -> list[str]:
    """Return the table of where a text's time goes."""
    pieces = result.breakdown
    lines = [
        BREAKDOWN_INTRO.format(
            rounds=BREAKDOWN_ROUNDS, concurrency=result.breakdown_concurrency
        ),
        "",
        "| µs per text | ours | DIY | bare |",
        "|---|---|---|---|",
    ]
    for piece, words in BREAKDOWN_PIECES:
        cells = [
            f"{pieces[name][piece]:,.1f}" if piece in pieces.get(name, {}) else ""
            for name in (OURS, DIY, BARE)
        ]
        lines.append(f"| {words} | {' | '.join(cells)} |")
    sums = [
        sum(
            pieces.get(name, {}).get(piece, 0.0)
            for piece in (HANDLER_PIECE, ROUTINE_PIECE)
        )
        for name in (OURS, DIY, BARE)
    ]
    lines.append(
        "| **webhook and automation run** | "
        + " | ".join(f"**{value:,.1f}**" for value in sums)
        + " |"
    )
    return lines


def _fan_out(rows: list[FanOutRow]) -> list[str]:
    """Return the fan-out section."""
    lines = _section(
        "Fan-out (`sendblue.send_message`, one line, simulator rate limit on)",
        FAN_OUT_INTRO,
        FAN_OUT_HEADER,
    )
    for row in rows:
        ratio = row.wall_s / row.floor_s
        lines.append(
            f"| {row.recipients} | {row.wall_s:.2f} s | {row.floor_s:.1f} s"
            f" | {ratio:.2f} ({_verdict(ratio <= FAN_OUT_GOAL)})"
            f" | {row.rejections} ({_verdict(row.rejections == 0)}) | {row.failed} |"
        )
    return lines


def _outbox(rows: list[OutboxRow]) -> list[str]:
    """Return the outbox section."""
    lines = _section(
        "Outbox after an outage (100 queued messages, one line)",
        OUTBOX_INTRO,
        OUTBOX_HEADER,
    )
    for row in rows:
        ratio = row.drain_s / row.floor_s
        lines.append(
            f"| {row.shape} | {row.drain_s:.2f} s | {row.first_s:.2f} s"
            f" | {row.floor_s:.1f} s | {ratio:.2f} ({_verdict(ratio <= OUTBOX_GOAL)})"
            f" | {row.direct_s:.2f} s | {row.drain_s / row.direct_s:.2f}"
            f" | {row.rejections} ({_verdict(row.rejections == 0)}) | {row.failed} |"
        )
    return lines


def _at_rest(rows: list[AtRestRow], setup: SetupTime | None) -> list[str]:
    """Return the cost-at-rest section."""
    lines = _section(
        "Cost at rest (in-process Home Assistant, simulated hour)",
        AT_REST_INTRO,
        "| receive mode | API calls per hour | by endpoint |",
    )
    for row in rows:
        paths = ", ".join(f"`{path}` {n}" for path, n in sorted(row.by_path.items()))
        lines.append(f"| {row.mode} | {row.calls} | {paths} |")
    if setup is not None:
        timing = (
            "Integration setup (webhook mode, simulator on loopback): median"
            f" {setup.median_ms:.1f} ms over {setup.samples} setups (the first, cold"
            f" one: {setup.first_ms:.1f} ms); {setup.calls_per_setup} API calls each."
        )
        lines += ["", timing]
    return lines


def _latencies(latencies: Latencies) -> str:
    """Return answer times as one cell."""
    return (
        f"{latencies.p50_ms:,.1f}, {latencies.p99_ms:,.1f}, {latencies.max_ms:,.1f} ms"
    )


def _outcomes(outcomes: dict[str, int]) -> str:
    """Return how requests were answered, e.g. "401: 20"."""
    return ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items()))


def _hardening(runs: list[HardeningRun]) -> list[str]:
    """Return the hardening section."""
    lines = _section(
        "Webhook hardening (real Home Assistant process)",
        HARDENING_INTRO.format(corrupt=CORRUPT_REQUESTS, bombs=BOMBS),
        (
            "| integration | `GET /api/` before: p50, p99, max"
            f" | during {BOMBS} gzip bombs: p50, p99, max"
            f" | added delay (goal < {DELAY_GOAL_MS} ms) | bombs answered"
            f" | log lines from {CORRUPT_REQUESTS} corrupt gzip"
            f" (goal < {LOG_LINES_GOAL}) | corrupt gzip answered |"
        ),
    )
    for run in runs:
        delay = run.added_delay_ms
        lines.append(
            f"| {run.revision} | {_latencies(run.baseline)}"
            f" | {_latencies(run.attack)}"
            f" | {delay:,.0f} ms ({_verdict(delay < DELAY_GOAL_MS)})"
            f" | {_outcomes(run.bombs)}"
            f" | {run.log_lines:,} ({_verdict(run.log_lines < LOG_LINES_GOAL)})"
            f" | {_outcomes(run.corrupt)} |"
        )
    return lines


def _memory(points: list[MemoryPoint]) -> list[str]:
    """Return the memory section."""
    lines = _section(
        "Memory of the dedupe structures",
        MEMORY_INTRO,
        "| unique deliveries | remembered keys | dedupe structures | traced growth |",
    )
    lines += [
        f"| {p.deliveries:,} | {p.remembered:,} | {p.dedupe_bytes / MIB:.2f} MiB"
        f" | {p.traced_bytes / MIB:.2f} MiB |"
        for p in points
    ]
    return lines


def render(results: Results) -> str:
    """Return the whole report."""
    lines = [
        "# Sendblue integration benchmarks",
        "",
        "Measured with `bench/run` (`python -m bench`); measurements, not assertions.",
        "",
        results.machine.markdown(),
        "",
    ]
    if results.ingest is not None:
        lines += [*_ingest(results.ingest), ""]
    if results.hardening is not None:
        lines += [*_hardening(results.hardening), ""]
    if results.fan_out is not None:
        lines += [*_fan_out(results.fan_out), ""]
    if results.outbox is not None:
        lines += [*_outbox(results.outbox), ""]
    if results.at_rest is not None:
        lines += [*_at_rest(results.at_rest, results.setup), ""]
    if results.memory is not None:
        lines += [*_memory(results.memory), ""]
    timings = ", ".join(f"{name} {s:.1f} s" for name, s in results.seconds.items())
    lines += [f"Run times: {timings}.", ""]
    return "\n".join(lines)
