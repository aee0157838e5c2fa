"""What every devtools client shares: JSON objects, the error, polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

type JsonObject = dict[str, Any]


class DevToolsError(Exception):
    """Home Assistant or the simulator did not answer as expected."""


async def wait_until[T](
    probe: Callable[[], Awaitable[T | None]],
    *,
    within: float,
    what: str,
    interval: float = 0.05,
    check: Callable[[], None] | None = None,
) -> T:
    """Poll probe until it returns non-None; check() may raise to give up early."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last_error: Exception | None = None
    while True:
        if check is not None:
            check()
        try:
            result = await probe()
        except (aiohttp.ClientError, OSError) as err:
            # "Not yet": servers refuse connections while they start.
            last_error, result = err, None
        else:
            last_error = None
        if result is not None:
            return result
        if loop.time() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            msg = f"{what}: not within {within:g} s{detail}"
            raise TimeoutError(msg)
        await asyncio.sleep(interval)
