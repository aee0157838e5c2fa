"""How Home Assistant and the simulator are started and stopped; loopback ports."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .simulator import SimulatorAccount

LOOPBACK = "127.0.0.1"
# config/configuration.yaml reads Home Assistant's own URL from here (!env_var).
EXTERNAL_URL_ENV = "SENDBLUE_DEV_EXTERNAL_URL"
# And the recorder's commit interval in seconds (Home Assistant's 5 when unset).
COMMIT_INTERVAL_ENV = "SENDBLUE_DEV_RECORDER_COMMIT_INTERVAL"
_PR_SET_PDEATHSIG = 1


def _death_signal() -> Callable[[], None] | None:
    """Return what makes a child get SIGTERM when its parent dies (Linux only)."""
    # A killed test run (CI timeout, SIGKILL) runs no teardown; this way its Home
    # Assistant and simulator still go away instead of holding ports.
    if not sys.platform.startswith("linux"):
        return None
    # Looked up here, in the parent: the child only calls it between fork and exec.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


def free_port(host: str = LOOPBACK) -> int:
    """Return a port that is free now, chosen by the kernel (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Return whether a server could listen on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The same option servers use, so a port in TIME_WAIT still counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def hass_command(config_dir: Path) -> list[str]:
    """Return the command line of Home Assistant on a config directory."""
    # The venv's `hass` script, not `python -m`, so the cwd is not on sys.path.
    hass = Path(sys.executable).with_name("hass")
    return [str(hass), "-c", str(config_dir), "--skip-pip", "--log-no-color"]


def hass_environment(
    base: Mapping[str, str], external_url: str, *, commit_interval: int | None = None
) -> dict[str, str]:
    """Return the environment of Home Assistant: the caller's plus its own URL."""
    env = {**base, EXTERNAL_URL_ENV: external_url}
    if commit_interval is not None:
        env[COMMIT_INTERVAL_ENV] = str(commit_interval)
    return env


def simulator_command(
    port: int,
    *,
    latency_ms: int = 0,
    seed: int | None = None,
    account: SimulatorAccount | None = None,
    lines: Sequence[str] = (),
    account_email: str | None = None,
) -> list[str]:
    """Return the command line of the simulator (run it with cwd=ROOT)."""
    command = [
        sys.executable,
        "-m",
        "sendblue_simulator",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if account is not None:
        command += [
            "--api-key-id",
            account.api_key_id,
            "--api-secret-key",
            account.api_secret_key,
        ]
    if lines:
        command += ["--lines", *lines]
    if account_email is not None:
        command += ["--account-email", account_email]
    return command


class ManagedProcess:
    """A child process writing to a log file, stopped with SIGTERM, then SIGKILL."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the process; start() runs it."""
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self.cwd = cwd
        self.env = dict(os.environ if env is None else env)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """Return the process id while it runs."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the process, appending its output to the log file."""
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Appending keeps the output of every start of the same process in one log.
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 -- our own fixed command line
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Tied to the thread that starts it: start children from the main thread.
            preexec_fn=_death_signal(),  # noqa: PLW1509 -- only calls prctl
        )

    @property
    def running(self) -> bool:
        """Return whether the process was started and has not exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """Return the exit code once the process has exited."""
        return self._process.poll() if self._process else None

    def stop(self, timeout: float = 20.0) -> int | None:
        """Send SIGTERM, SIGKILL after timeout seconds; return the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.returncode

    def log_text(self) -> str:
        """Return everything the process wrote so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def describe_exit(self) -> str:
        """Return a short account of why the process is gone, with its last output."""
        tail = "\n".join(self.log_text().splitlines()[-30:])
        return f"{self.name} exited with code {self.returncode}; last output:\n{tail}"
