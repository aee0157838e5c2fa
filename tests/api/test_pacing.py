"""Per-line pacing: bursts of 10, then 10 a second, each line on its own."""

import pytest

from custom_components.sendblue.api import LinePacer, SendblueClient
from custom_components.sendblue.api.pacing import RATE

from .conftest import FakeSendblue

LINE = "+15122164639"
OTHER_LINE = "+16468528190"


class FakeTime:
    """A clock that only moves when someone sleeps on it or it is told to."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.passes = True  # False: sleepers overlap, as concurrent callers do

    def clock(self) -> float:
        """Return the fake now."""
        return self.now

    async def sleep(self, delay: float) -> None:
        """Record the wait and let the time pass."""
        self.sleeps.append(delay)
        if self.passes:
            self.now += delay


@pytest.fixture
def fake_time() -> FakeTime:
    """Give a fake clock."""
    return FakeTime()


@pytest.fixture
def pacer(fake_time: FakeTime) -> LinePacer:
    """Give a pacer on the fake clock."""
    return LinePacer(clock=fake_time.clock, sleep=fake_time.sleep)


async def test_burst_then_wait(pacer: LinePacer, fake_time: FakeTime) -> None:
    """Ten takes never wait; the eleventh waits for one token."""
    for _ in range(10):
        await pacer.acquire(LINE)
    assert fake_time.sleeps == []
    await pacer.acquire(LINE)
    assert fake_time.sleeps == [pytest.approx(1 / RATE)]


async def test_lines_are_independent(pacer: LinePacer, fake_time: FakeTime) -> None:
    """An empty bucket on one line does not slow another."""
    for _ in range(10):
        await pacer.acquire(LINE)
    for _ in range(10):
        await pacer.acquire(OTHER_LINE)
    assert fake_time.sleeps == []


async def test_refill(pacer: LinePacer, fake_time: FakeTime) -> None:
    """Tokens come back at RATE a second, never above the burst size."""
    for _ in range(10):
        await pacer.acquire(LINE)
    fake_time.now += 5 / RATE
    for _ in range(5):
        await pacer.acquire(LINE)
    assert fake_time.sleeps == []
    await pacer.acquire(LINE)
    assert fake_time.sleeps == [pytest.approx(1 / RATE)]
    fake_time.now += 60
    for _ in range(10):
        await pacer.acquire(LINE)
    assert len(fake_time.sleeps) == 1


async def test_queued_callers_wait_in_turn(
    pacer: LinePacer, fake_time: FakeTime
) -> None:
    """Callers over the burst at the same moment each wait one slot longer."""
    fake_time.passes = False
    for _ in range(12):
        await pacer.acquire(LINE)
    assert fake_time.sleeps == [pytest.approx(1 / RATE), pytest.approx(2 / RATE)]


@pytest.mark.parametrize(
    ("from_number", "bucket"),
    [(LINE, LINE), (None, ""), (LINE, None)],  # bucket None: pacing is off
)
async def test_client_paces_sends(
    client: SendblueClient,
    sendblue: FakeSendblue,
    fake_time: FakeTime,
    from_number: str | None,
    bucket: str | None,
) -> None:
    """Sends take a token from their line's bucket when pacing is on."""
    taken: list[str] = []
    pacer = LinePacer(clock=fake_time.clock, sleep=fake_time.sleep)
    acquire = pacer.acquire

    async def spy(line: str) -> None:
        taken.append(line)
        await acquire(line)

    pacer.acquire = spy  # type: ignore[method-assign]
    client._pacer = pacer
    client.pace_sends = bucket is not None
    sendblue.add(
        "POST", "/api/send-message", {"message_handle": "h", "status": "QUEUED"}
    )
    for _ in range(11):
        await client.send_message(
            number="+19998887777", from_number=from_number, content="Hi"
        )
    assert taken == ([bucket] * 11 if bucket is not None else [])
    assert fake_time.sleeps == ([pytest.approx(1 / RATE)] if bucket is not None else [])
    assert len(sendblue.requests) == 11


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        (
            "send_group_message",
            "/api/send-group-message",
            {"group_id": "g", "content": "Hi"},
        ),
        (
            "send_reaction",
            "/api/send-reaction",
            {"message_handle": "h", "reaction": "love"},
        ),
        ("mark_read", "/api/mark-read", {"number": "+19998887777"}),
        (
            "send_typing_indicator",
            "/api/send-typing-indicator",
            {"number": "+19998887777"},
        ),
    ],
)
async def test_other_sends_are_paced(
    client: SendblueClient,
    sendblue: FakeSendblue,
    method: str,
    path: str,
    kwargs: dict[str, str],
) -> None:
    """Group sends, tapbacks, read receipts and typing take a token too."""
    taken: list[str] = []

    async def spy(line: str) -> None:
        taken.append(line)

    client._pacer.acquire = spy  # type: ignore[method-assign]
    sendblue.add("POST", path, {"status": "OK"})
    await getattr(client, method)(from_number=LINE, **kwargs)
    assert taken == [LINE]
