"""Parse cost of one inbound webhook, before and after a change of the models.

"Before" is the client library of a git revision (default: main), written to a
temporary directory and imported from there; "after" is the library of this tree.
Both parse the documented inbound payload (tests/fixtures/webhook_message_received.json)
in this process, in alternating rounds, next to the bare json.loads of the same body
as the baseline. Run with ``python -m bench.parse [--base REV]``.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json import loads
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = "custom_components/sendblue/api"
PAYLOAD = ROOT / "tests" / "fixtures" / "webhook_message_received.json"
BEFORE_PACKAGE = "sendblue_api_before"


@dataclass(frozen=True)
class ParseCost:
    """Microseconds per webhook: the best timing over all rounds.

    The best, not a mean: on a shared machine every disturbance only adds time.
    """

    base: str
    json_loads: float
    before: float
    after: float


def _git(*args: str) -> str:
    """Run git in the repository and return what it printed."""
    git = shutil.which("git") or "git"
    return subprocess.run(  # noqa: S603 -- git with our own arguments
        [git, *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def _library_at(revision: str, into: Path) -> ModuleType:
    """Write the client library of a revision into a directory and import it."""
    package = into / BEFORE_PACKAGE
    package.mkdir()
    for name in _git("ls-tree", "--name-only", f"{revision}:{LIBRARY}").split():
        if name.endswith(".py"):
            text = _git("show", f"{revision}:{LIBRARY}/{name}")
            (package / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{BEFORE_PACKAGE}.models")


def _best(run: Callable[[], object], number: int) -> float:
    """Return the best of a few timings of run, in microseconds per call."""
    return min(timeit.repeat(run, number=number, repeat=5)) / number * 1e6


def measure(*, base: str = "main", rounds: int = 7, number: int = 20_000) -> ParseCost:
    """Time json.loads and both typed parses of the payload."""
    from custom_components.sendblue.api import parse_webhook  # noqa: PLC0415

    body = PAYLOAD.read_bytes()
    payload = loads(body)
    with tempfile.TemporaryDirectory() as directory:
        before = _library_at(base, Path(directory)).parse_webhook
        candidates: dict[str, Callable[[], object]] = {
            "json_loads": lambda: loads(body),
            "before": lambda: before(payload),
            "after": lambda: parse_webhook(payload),
        }
        if before(payload) != before(loads(body)) or parse_webhook(payload) is None:
            msg = "the payload does not parse"
            raise RuntimeError(msg)
        times: dict[str, list[float]] = {name: [] for name in candidates}
        for round_number in range(rounds):
            # Alternate the order so that neither side always runs warmer.
            order = list(candidates)
            if round_number % 2:
                order.reverse()
            for name in order:
                times[name].append(_best(candidates[name], number))
    return ParseCost(
        base=base,
        **{name: min(values) for name, values in times.items()},
    )


def render(cost: ParseCost) -> str:
    """Render the costs as a Markdown table, with ratios to the baseline."""
    rows = [
        ("`json.loads` of the body (baseline)", cost.json_loads, cost.json_loads),
        ("typed parse (`parse_webhook` of the dict)", cost.before, cost.after),
        (
            "both",
            cost.json_loads + cost.before,
            cost.json_loads + cost.after,
        ),
    ]
    lines = [
        "## Webhook parse cost",
        "",
        (
            "The documented inbound payload, parsed in process; µs per webhook"
            " (the best timing over alternating rounds), and in brackets as a"
            " multiple of `json.loads` of the same body in the same run."
        ),
        "",
        f"| step | before ({cost.base}) | after | after / before |",
        "| --- | --- | --- | --- |",
    ]
    lines.extend(
        f"| {step} | {before:.2f} µs ({before / cost.json_loads:.2f}x)"
        f" | {after:.2f} µs ({after / cost.json_loads:.2f}x) | {after / before:.2f} |"
        for step, before, after in rows
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.parse", description=__doc__)
    parser.add_argument("--base", default="main", help="git revision of 'before'")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    parser.add_argument("--number", type=int, default=20_000, help="parses a timing")
    args = parser.parse_args(argv)
    cost = measure(base=args.base, rounds=args.rounds, number=args.number)
    sys.stdout.write(render(cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
