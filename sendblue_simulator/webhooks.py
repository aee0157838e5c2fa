"""Webhook delivery: one queue, one worker, at-least-once with bounded retries."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from .clock import Scheduler
from .models import iso

_LOGGER = logging.getLogger(__name__)
SIGNING_HEADER = "sb-signing-secret"
HTTP_OK_MIN = 200
HTTP_OK_MAX = 299
NOT_LOOPBACK = "not a loopback URL: the simulator delivers only on this machine"


def is_loopback(url: str) -> bool:
    """Return whether url names this machine (localhost or a loopback address)."""
    host = URL(url).host or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class DeliveryJob:
    """One POST to make (an event copy to one URL)."""

    job_id: int
    event: str
    url: str
    body: dict[str, Any]
    secret: str | None
    copy: int = 1
    attempt: int = 1


@dataclass
class DeliveryRecord:
    """One POST attempt and what came of it."""

    job_id: int
    event: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    attempt: int
    copy: int
    at: str | None
    status: int | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Tell whether the receiver answered 2xx."""
        return self.status is not None and HTTP_OK_MIN <= self.status <= HTTP_OK_MAX

    def as_json(self) -> dict[str, Any]:
        """Describe the attempt for the control API."""
        return {
            "job_id": self.job_id,
            "event": self.event,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "attempt": self.attempt,
            "copy": self.copy,
            "at": self.at,
            "status": self.status,
            "error": self.error,
        }


class WebhookDispatcher:
    """Queues webhook POSTs and sends them from a single background worker."""

    def __init__(
        self,
        scheduler: Scheduler,
        *,
        max_attempts: int = 3,
        backoff_base: float = 1.0,
        backoff_cap: float = 8.0,
        timeout: float = 5.0,
    ) -> None:
        """Create an idle dispatcher."""
        self.scheduler = scheduler
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self.duplicate = False
        self.records: list[DeliveryRecord] = []
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[DeliveryJob] = asyncio.Queue()
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._generation = 0

    async def start(self) -> None:
        """Open the HTTP session and start the worker."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout)
        )
        self._task = asyncio.get_running_loop().create_task(self._worker())

    async def stop(self) -> None:
        """Stop the worker and close the session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget history and drop queued jobs."""
        self._generation += 1
        self.records.clear()
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    def enqueue(
        self, event: str, url: str, body: dict[str, Any], secret: str | None
    ) -> None:
        """Queue an event for url (twice when the duplicate switch is on)."""
        copies = 2 if self.duplicate else 1
        for copy in range(1, copies + 1):
            job = DeliveryJob(next(self._ids), event, url, body, secret, copy=copy)
            self._queue.put_nowait(job)

    async def join(self) -> None:
        """Wait until every queued job has been attempted."""
        await self._queue.join()

    async def wait_for(self, count: int) -> list[DeliveryRecord]:
        """Wait until at least count attempts are recorded."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.records) >= count)
        return list(self.records)

    async def _worker(self) -> None:
        """Send queued jobs one at a time."""
        while True:
            job = await self._queue.get()
            try:
                await self._attempt(job)
            finally:
                self._queue.task_done()

    async def _attempt(self, job: DeliveryJob) -> None:
        """POST one job, record it, and schedule a retry when it failed."""
        generation = self._generation
        headers = {"Content-Type": "application/json"}
        if job.secret:
            headers[SIGNING_HEADER] = job.secret
        record = DeliveryRecord(
            job_id=job.job_id,
            event=job.event,
            url=job.url,
            headers=headers,
            body=job.body,
            attempt=job.attempt,
            copy=job.copy,
            at=iso(self.scheduler.clock.now()),
        )
        session = self._session
        if session is None:
            record.error = "dispatcher stopped"
        elif not is_loopback(job.url):
            # Tests and the demo register made-up public URLs (a status_callback
            # of https://example.com/cb): never look them up, never call out.
            record.error = NOT_LOOPBACK
        else:
            try:
                async with session.post(
                    job.url, json=job.body, headers=headers
                ) as response:
                    record.status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                record.error = f"{type(err).__name__}: {err}"
        if generation != self._generation:
            return
        async with self._changed:
            self.records.append(record)
            self._changed.notify_all()
        if not record.ok and job.attempt < self.max_attempts:
            delay = min(self.backoff_cap, self.backoff_base * 2 ** (job.attempt - 1))
            job.attempt += 1
            self.scheduler.call_later(delay, lambda: self._queue.put_nowait(job))
        elif not record.ok:
            _LOGGER.info("Giving up on %s after %s attempts", job.url, job.attempt)
