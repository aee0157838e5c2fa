"""Run the benchmarks, print a Markdown table and write it to bench/results.md."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from .hardening import BASE_REVISION, run_hardening
from .ingest import run_ingest
from .inprocess import (
    run_at_rest,
    run_fan_out,
    run_memory,
    run_outbox,
    run_setup_time,
)
from .machine import Machine
from .parse import measure as measure_parse
from .parse import render as render_parse
from .report import Results, render
from .stream import render as render_stream
from .stream import run_stream

RESULTS = Path(__file__).resolve().parent / "results.md"
# Figures measured elsewhere (the end-to-end tests), kept in the report as they are.
RECORDED = RESULTS.with_name("recorded.md")
README = RESULTS.parent.parent / "README.md"
# The README's copy of the report sits between these lines.
README_START = "<!-- bench/run writes the report from here -->"
README_END = "<!-- to here -->"
BENCHMARKS = (
    "ingest",
    "hardening",
    "fanout",
    "outbox",
    "rest",
    "memory",
    "parse",
    "stream",
)


def _parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        default=list(BENCHMARKS),
        help="benchmarks to run (default: all)",
    )
    parser.add_argument(
        "--duration", type=float, default=4.0, help="seconds per wrk run"
    )
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds per load")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8], help="wrk connections"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep Home Assistant's config and log here"
    )
    parser.add_argument(
        "--hardening-base",
        default=BASE_REVISION,
        metavar="REV",
        help=(
            "git revision whose integration the hardening benchmark also attacks"
            f" (default {BASE_REVISION}, before the hardening; '' for none)"
        ),
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print only; leave results.md and the README alone",
    )
    return parser


def _timed(results: Results, name: str, run: Callable[[], Any]) -> Any:  # noqa: ANN401
    """Run one benchmark, recording how long it took."""
    sys.stderr.write(f"bench: {name}…\n")
    start = perf_counter()
    value = run()
    results.seconds[name] = perf_counter() - start
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks and report them."""
    args = _parser().parse_args(argv)
    # Warnings from the test harness and skipped packages are not results.
    logging.basicConfig(level=logging.ERROR)
    results = Results(machine=Machine.describe())
    if "ingest" in args.only:
        results.ingest = _timed(
            results,
            "ingest",
            lambda: asyncio.run(
                run_ingest(
                    duration_s=args.duration,
                    rounds=args.rounds,
                    concurrencies=args.concurrency,
                    keep=args.keep,
                )
            ),
        )
    if "hardening" in args.only:
        results.hardening = _timed(
            results,
            "hardening",
            lambda: asyncio.run(
                run_hardening(base=args.hardening_base or None, keep=args.keep)
            ),
        )
    if "fanout" in args.only:
        results.fan_out = _timed(results, "fan-out", lambda: asyncio.run(run_fan_out()))
    if "outbox" in args.only:
        results.outbox = _timed(results, "outbox", lambda: asyncio.run(run_outbox()))
    if "rest" in args.only:
        results.at_rest = _timed(results, "at rest", run_at_rest)
        results.setup = _timed(
            results, "setup time", lambda: asyncio.run(run_setup_time())
        )
    if "memory" in args.only:
        results.memory = _timed(results, "memory", lambda: asyncio.run(run_memory()))
    report = render(results) + _own_sections(results, args)
    if RECORDED.exists():
        report += "\n" + RECORDED.read_text(encoding="utf-8")
    sys.stdout.write(report)
    if not args.no_write:
        _write(report)
    return 0


def _own_sections(results: Results, args: argparse.Namespace) -> str:
    """Run the benchmarks that render their own sections; return those sections."""
    sections = ""
    if "parse" in args.only:
        sections += "\n" + render_parse(_timed(results, "parse", measure_parse))
    if "stream" in args.only:
        stream = _timed(results, "stream", lambda: run_stream(keep=args.keep))
        sections += "\n" + render_stream(stream)
    return sections


def _write(report: str) -> None:
    """Write the report to results.md and into the README."""
    RESULTS.write_text(report, encoding="utf-8")
    sys.stderr.write(f"bench: written to {RESULTS}\n")
    if _write_readme(report):
        sys.stderr.write(f"bench: and into {README}\n")


def _write_readme(report: str) -> bool:
    """Put the report into the README's benchmark section; False if it has none."""
    text = README.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    # Under the README's "### Benchmarks": no title, sections two levels down.
    lines = report.splitlines()[1:]
    section = "\n".join(
        f"##{line}" if line.startswith("## ") else line for line in lines
    )
    README.write_text(
        f"{text[: start + len(README_START)]}\n{section.strip()}\n\n{text[end:]}",
        encoding="utf-8",
    )
    return True


if __name__ == "__main__":
    sys.exit(main())
