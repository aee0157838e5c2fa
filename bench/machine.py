"""Describe the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import aiohttp
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812


@dataclass(frozen=True, kw_only=True)
class Machine:
    """What the numbers depend on."""

    cpu: str
    cores: int
    usable_cores: tuple[int, ...]
    kernel: str
    python: str
    home_assistant: str
    aiohttp: str
    wrk: str
    date: str

    @classmethod
    def describe(cls) -> Self:
        """Describe this machine now."""
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 1,
            usable_cores=tuple(sorted(os.sched_getaffinity(0))),
            kernel=f"{platform.system()} {platform.release()}",
            python=sys.version.split()[0],
            home_assistant=HA_VERSION,
            aiohttp=aiohttp.__version__,
            wrk=_wrk_version(),
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )

    def markdown(self) -> str:
        """Return the machine as a Markdown list."""
        return "\n".join(
            [
                (
                    f"- CPU: {self.cpu}, {self.cores} cores"
                    f" (usable: {', '.join(map(str, self.usable_cores))})"
                ),
                f"- Kernel: {self.kernel}",
                (
                    f"- Python {self.python}, Home Assistant {self.home_assistant},"
                    f" aiohttp {self.aiohttp}"
                ),
                f"- Load generator: {self.wrk}",
                f"- Date: {self.date}",
            ]
        )


def _cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    """Return wrk's version line, or say it is missing."""
    if (wrk := shutil.which("wrk")) is None:
        return "wrk not installed"
    result = subprocess.run(  # noqa: S603 -- a fixed command line
        [wrk, "--version"], capture_output=True, text=True, check=False
    )
    return (result.stdout or result.stderr).splitlines()[0].strip()
