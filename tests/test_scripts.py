"""scripts/test's exit status, run against stand-ins for the tools it calls."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash") or "/bin/bash"
type RunScript = Callable[..., subprocess.CompletedProcess[str]]
# Each stand-in prints its name and exits with the status its variable gives (0).
STAND_IN = """#!/usr/bin/env bash
echo "{name} ran"
exit "${{{variable}:-0}}"
"""


def _stand_in(path: Path, name: str, variable: str) -> None:
    """Write an executable that exits with the status in variable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STAND_IN.format(name=name, variable=variable), encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture(name="run_script")
def run_script_fixture(tmp_path: Path) -> RunScript:
    """Return a runner of a copy of scripts/test whose tools are stand-ins."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    _stand_in(tmp_path / "scripts" / "setup", "setup", "SETUP_STATUS")
    for tool in ("ruff", "mypy", "pytest"):
        _stand_in(tmp_path / ".venv" / "bin" / tool, tool, f"{tool.upper()}_STATUS")

    def run(**statuses: int) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin"} | {
            f"{tool.upper()}_STATUS": str(status) for tool, status in statuses.items()
        }
        return subprocess.run(  # noqa: S603 - our own script, in a sandbox
            [BASH, str(tmp_path / "scripts" / "test")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )

    return run


def test_green_run_exits_zero(run_script: RunScript) -> None:
    """Every check passing exits 0 (the EXIT trap once turned it into 1)."""
    result = run_script()
    assert result.returncode == 0, result.stderr
    # mypy ran in the background; its report is printed after the tests'.
    assert result.stdout.index("pytest ran") < result.stdout.index("mypy ran")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"pytest": 1}, 1),
        ({"mypy": 1}, 1),
        # The tests' status wins when both fail: it says more.
        ({"pytest": 5, "mypy": 1}, 5),
    ],
)
def test_failing_check_fails_the_run(
    run_script: RunScript,
    statuses: dict[str, int],
    expected: int,
) -> None:
    """A failing test run or a typing error is the script's exit status."""
    assert run_script(**statuses).returncode == expected


def test_lint_failure_stops_before_tests(run_script: RunScript) -> None:
    """A lint error fails at once, without running the tests."""
    result = run_script(ruff=1)
    assert result.returncode == 1
    assert "pytest ran" not in result.stdout
