"""The client against the Sendblue simulator over loopback (not the recording fake).

Every public SendblueClient method is called here against a real HTTP server that
keeps state, moves statuses along a manual clock and answers with Sendblue's own
error envelopes. Nothing waits in real time: the simulator's clock only moves on
advance(), the client's pacer sleeps by advancing that clock, and retries use a zero
backoff or a recording sleep.
"""

import inspect
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.sendblue.api import (
    LinePacer,
    LineStatus,
    MessageStatus,
    MessageType,
    ModifyType,
    NewContact,
    Reaction,
    SendblueAuthenticationError,
    SendblueClient,
    SendblueConnectionError,
    SendblueError,
    SendblueInputError,
    SendblueNotFoundError,
    SendblueRateLimitError,
    SendblueServerError,
    SendblueValidationError,
    Service,
    TypingState,
    WebhookConfiguration,
    Webhooks,
    WebhookType,
)
from custom_components.sendblue.api.pacing import RATE
from sendblue_simulator import ManualClock, Simulator, start_simulator

SEED = 4321
LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"  # even last digit: iMessage in the simulator
OTHER = "+15550000004"
THIRD = "+15550000006"
SMS_CONTACT = "+15550000003"  # odd last digit: SMS
STRANGER = "+15550000008"  # never messaged
EMAIL = "ada@example.com"
UNKNOWN_LINE = "+19998887777"
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # the ManualClock's start
HOOK_A = "https://example.com/hooks/a"
HOOK_B = "https://example.com/hooks/b"
HOOK_O = "https://example.com/hooks/o"
HOOK_C = "https://example.com/hooks/c"
HOOK_SECRET = "hook-secret"
GLOBAL_SECRET = "global-secret"
WRONG_SECRET = "not-the-secret"
NO_ROUTE = "No route mapping found for number, have you messaged them before?"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SENDS = "/api/send-message"


def _pace_on_simulator_clock(client: SendblueClient, simulator: Simulator) -> None:
    """Let the client's pacer read and wait on the simulator's clock."""

    async def sleep(seconds: float) -> None:
        await simulator.control.advance(seconds)

    client._pacer = LinePacer(clock=simulator.clock.monotonic, sleep=sleep)


def _requests(simulator: Simulator, path: str | None = None) -> list[dict[str, Any]]:
    """Return the simulator's request log (for one path, or all)."""
    return [
        entry
        for entry in simulator.control.requests()
        if path is None or entry["path"] == path
    ]


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """Run a simulator on 127.0.0.1 with a manual clock."""
    async with start_simulator(clock=ManualClock(), seed=SEED) as simulator:
        yield simulator


@pytest.fixture
def make_client(
    simulator: Simulator,
) -> Callable[..., SendblueClient]:
    """Build clients of the simulator (own session, no backoff, simulator pacing)."""

    def make(**options: Any) -> SendblueClient:  # noqa: ANN401 -- client options
        options = {
            "api_key_id": simulator.api_key_id,
            "api_secret_key": simulator.api_secret_key,
            "base_url": simulator.base_url,
            "retry_backoff": 0,
        } | options
        client = SendblueClient(**options)
        _pace_on_simulator_clock(client, simulator)
        return client

    return make


@pytest.fixture
async def client(
    make_client: Callable[..., SendblueClient],
) -> AsyncIterator[SendblueClient]:
    """Yield a client of the simulator (overrides the fake-backed one)."""
    async with make_client() as client:
        yield client


# -- messages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "steps", "error_code"),
    [
        (
            CONTACT,
            (MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED),
            None,
        ),
        (
            SMS_CONTACT,
            (MessageStatus.QUEUED, MessageStatus.ERROR, MessageStatus.ERROR),
            10001,
        ),
    ],
    ids=["delivered", "failed"],
)
async def test_send_message_status_moves_with_the_clock(
    client: SendblueClient,
    simulator: Simulator,
    number: str,
    steps: tuple[MessageStatus, ...],
    error_code: int | None,
) -> None:
    """QUEUED at send, then one step per second of simulator time."""
    simulator.control.set_latency(1000)
    simulator.control.set_error_numbers([SMS_CONTACT])
    sent = await client.send_message(
        number=number,
        from_number=LINE_1,
        content="Hello",
        status_callback="https://example.com/cb",
    )
    assert (sent.status, sent.content, sent.to_number) == (steps[0], "Hello", number)
    seen = []
    for _ in steps:
        status = await client.get_message_status(message_handle=sent.message_handle)
        seen.append(status.status)
        await simulator.control.advance(1)
    assert tuple(seen) == steps
    assert status.error_code == error_code
    assert status.from_number == LINE_1


async def test_groups(client: SendblueClient, simulator: Simulator) -> None:
    """Group send by members and by id, create-group and modify-group."""
    first = await client.send_group_message(
        from_number=LINE_1, numbers=[CONTACT, OTHER], content="Hi all"
    )
    assert first.message_type is MessageType.GROUP
    assert first.group_id
    assert first.recipients == (CONTACT, OTHER)
    again = await client.send_group_message(
        from_number=LINE_1, group_id=first.group_id, media_url=f"{HOOK_A}.png"
    )
    assert again.group_id == first.group_id
    created = await client.create_group(
        from_number=LINE_2, numbers=[OTHER, THIRD], group_name="Team"
    )
    assert created.status == "OK"
    assert created.group_id not in {None, first.group_id}
    assert created.raw["group_name"] == "Team"
    changed = await client.modify_group(
        group_id=first.group_id,
        modify_type=ModifyType.ADD_RECIPIENT,
        number=THIRD,
        from_number=LINE_1,
    )
    assert (changed.status, changed.modify_type, changed.number) == (
        "OK",
        "add_recipient",
        THIRD,
    )
    groups = {g["group_id"]: g for g in simulator.control.state()["groups"]}
    assert groups[first.group_id]["participant_numbers"] == [CONTACT, OTHER, THIRD]
    assert groups[created.group_id]["group_name"] == "Team"


async def test_reaction_on_a_received_message(
    client: SendblueClient, simulator: Simulator
) -> None:
    """A tapback on the handle of an injected inbound message."""
    inbound = simulator.control.inject_inbound(
        from_number=CONTACT, to_number=LINE_1, content="Hi"
    )
    handle = inbound["message_handle"]
    result = await client.send_reaction(
        from_number=LINE_1, message_handle=handle, reaction=Reaction.LOVE, part_index=0
    )
    assert (result.status, result.reaction, result.message_handle) == (
        "OK",
        "love",
        handle,
    )
    [reaction] = simulator.control.reactions()
    assert (reaction["message_handle"], reaction["reaction"]) == (handle, "love")
    with pytest.raises(SendblueNotFoundError, match="Message not found"):
        await client.send_reaction(
            from_number=LINE_1, message_handle="nope", reaction="like"
        )


async def test_mark_read_and_typing_in_a_conversation(
    client: SendblueClient, simulator: Simulator
) -> None:
    """Read receipts and typing indicators once the contact has written."""
    simulator.control.inject_inbound(from_number=CONTACT, content="Hi")
    read = await client.mark_read(number=CONTACT, from_number=LINE_1)
    assert (read.status, read.number) == ("OK", CONTACT)
    typing = await client.send_typing_indicator(
        number=CONTACT, from_number=LINE_1, state=TypingState.STOP, max_duration_ms=900
    )
    assert (typing.status, typing.number, typing.error_message) == (
        "QUEUED",
        CONTACT,
        None,
    )
    assert [r["number"] for r in simulator.control.read_receipts()] == [CONTACT]
    [indicator] = simulator.control.typing_indicators()
    assert (indicator["state"], indicator["max_duration_ms"]) == ("stop", 900)


@pytest.mark.parametrize("method", ["mark_read", "send_typing_indicator"])
async def test_no_route_mapping(client: SendblueClient, method: str) -> None:
    """Without a conversation, Sendblue's "No route mapping" error is a 400."""
    with pytest.raises(SendblueValidationError) as err:
        await getattr(client, method)(number=STRANGER, from_number=LINE_1)
    assert str(err.value) == NO_ROUTE
    assert err.value.status == 400


@pytest.mark.parametrize("source", ["data", "path"])
async def test_upload_file_and_fetch_it_back(
    client: SendblueClient, tmp_path: Path, source: str
) -> None:
    """The returned media_url serves the very bytes that were uploaded."""
    if source == "path":
        file = tmp_path / "pic.png"
        file.write_bytes(PNG)
        uploaded = await client.upload_file(path=file)
    else:
        uploaded = await client.upload_file(data=PNG, filename="pic.png")
    assert uploaded.media_url
    assert uploaded.media_object_id
    assert uploaded.media_object_id.endswith("_pic.png")
    async with (
        aiohttp.ClientSession() as session,
        session.get(uploaded.media_url) as response,
    ):
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == PNG


async def test_upload_media_object(
    client: SendblueClient, simulator: Simulator
) -> None:
    """Sendblue re-hosts a URL (the simulator records the source, fetches nothing)."""
    source = "https://cdn.example.com/signed/photo.jpg?sig=abc"
    media = await client.upload_media_object(media_url=source)
    assert media.media_object_id
    assert media.media_object_id.startswith("MO_")
    assert media.media_object_id.endswith(".jpg")
    assert media.message == "File uploaded successfully"
    [upload] = simulator.control.uploads()
    assert (upload["media_object_id"], upload["source_url"]) == (
        media.media_object_id,
        source,
    )
    with pytest.raises(SendblueInputError):
        await client.upload_media_object(media_url="ftp://example.com/x.jpg")
    assert len(_requests(simulator, "/api/upload-media-object")) == 1


@pytest.fixture
async def mailbox(client: SendblueClient, simulator: Simulator) -> None:
    """Five messages from CONTACT, a minute later two from SMS_CONTACT, one sent."""
    for index in range(5):
        simulator.control.inject_inbound(
            from_number=CONTACT, to_number=LINE_1, content=f"in{index}"
        )
    await simulator.control.advance(60)
    for index in range(5, 7):
        simulator.control.inject_inbound(
            from_number=SMS_CONTACT, to_number=LINE_2, content=f"in{index}"
        )
    await client.send_message(number=OTHER, from_number=LINE_1, content="out")
    simulator.control.clear_requests()


@pytest.mark.usefixtures("mailbox")
@pytest.mark.parametrize(
    ("filters", "contents"),
    [
        ({}, ["out", "in6", "in5", "in4", "in3", "in2", "in1", "in0"]),
        (
            {"is_outbound": False, "order_direction": "asc", "limit": 3},
            ["in0", "in1", "in2"],
        ),
        ({"is_outbound": True}, ["out"]),
        ({"number": SMS_CONTACT}, ["in6", "in5"]),
        ({"sendblue_number": LINE_2, "service": Service.SMS}, ["in6", "in5"]),
        ({"status": MessageStatus.RECEIVED, "offset": 5}, ["in1", "in0"]),
        ({"created_at_gte": START + timedelta(seconds=30)}, ["out", "in6", "in5"]),
        ({"created_at_lte": START, "to_number": LINE_1, "limit": 1}, ["in4"]),
        ({"message_type": MessageType.GROUP}, []),
    ],
)
async def test_list_messages_filters(
    client: SendblueClient, filters: dict[str, Any], contents: list[str]
) -> None:
    """Filters reach the simulator and select the right messages, newest first."""
    page = await client.list_messages(**filters)
    assert [message.content for message in page.messages] == contents


@pytest.mark.usefixtures("mailbox")
async def test_iter_message_pages(client: SendblueClient, simulator: Simulator) -> None:
    """Pages of three until has_more is false, each asked at the next offset."""
    pages = [
        page
        async for page in client.iter_message_pages(
            page_size=3, is_outbound=False, order_direction="asc"
        )
    ]
    assert [[m.content for m in page.messages] for page in pages] == [
        ["in0", "in1", "in2"],
        ["in3", "in4", "in5"],
        ["in6"],
    ]
    assert [(page.has_more, page.offset, page.total) for page in pages] == [
        (True, 0, 7),
        (True, 3, 7),
        (False, 6, 7),
    ]
    queries = [entry["query"] for entry in _requests(simulator, "/api/v2/messages")]
    assert [(q["offset"], q["limit"], q["is_outbound"]) for q in queries] == [
        ("0", "3", "false"),
        ("3", "3", "false"),
        ("6", "3", "false"),
    ]


async def test_get_and_delete_message(
    client: SendblueClient, simulator: Simulator
) -> None:
    """A deleted message is gone from the API but kept (flagged) by the simulator."""
    sent = await client.send_message(number=EMAIL, from_number=LINE_2, content="Bye")
    got = await client.get_message(message_id=sent.message_handle)
    assert (got.message_handle, got.content, got.account_email) == (
        sent.message_handle,
        "Bye",
        "demo@example.com",
    )
    assert await client.delete_message(message_handle=sent.message_handle) is None
    with pytest.raises(SendblueNotFoundError):
        await client.get_message(message_id=sent.message_handle)
    with pytest.raises(SendblueNotFoundError):
        await client.delete_message(message_handle=sent.message_handle)
    assert simulator.control.message(sent.message_handle)["deleted"] is True


@pytest.mark.parametrize(
    ("number", "service"),
    [
        (CONTACT, Service.IMESSAGE),
        (SMS_CONTACT, Service.SMS),
        (EMAIL, Service.IMESSAGE),
    ],
)
async def test_evaluate_service(
    client: SendblueClient, number: str, service: Service
) -> None:
    """Numbers ending in an even digit and emails are iMessage in the simulator."""
    evaluation = await client.evaluate_service(number=number)
    assert (evaluation.number, evaluation.service) == (number, service)


# -- contacts -----------------------------------------------------------------


async def test_contacts(client: SendblueClient, simulator: Simulator) -> None:
    """Create, conflict, get, update (merge), list, bulk, opt-out and deletes."""
    created = await client.create_contact(
        number=CONTACT,
        first_name="Ada",
        last_name="Lovelace",
        company_name="Engines",
        assigned_to_email="agent@example.com",
        sendblue_number=LINE_1,
        tags=["vip"],
        custom_variables={"plan": "gold"},
    )
    assert (created.phone, created.first_name, created.company_name) == (
        CONTACT,
        "Ada",
        "Engines",
    )
    assert (created.tags, created.sendblue_number, created.opt_out) == (
        ("vip",),
        LINE_1,
        False,
    )
    assert created.created_at == START
    with pytest.raises(SendblueValidationError, match="Contact already exists") as err:
        await client.create_contact(number=CONTACT)
    assert err.value.status == 409
    again = await client.create_contact(
        number=CONTACT, last_name="King", update_if_exists=True
    )
    assert (again.contact_id, again.last_name) == (created.contact_id, "King")
    assert (await client.get_contact(number=CONTACT)).contact_id == created.contact_id
    updated = await client.update_contact(
        number=CONTACT, custom_variables={"x": "1"}, tags=[], opt_out=False
    )
    assert updated.custom_variables == {"plan": "gold", "x": "1"}
    assert updated.tags == ()
    bulk = await client.create_contacts(
        contacts=[
            NewContact(phone=THIRD, first_name="Cy", tags=("new",)),
            NewContact(phone=OTHER, custom_variables={"k": "v"}),
        ]
    )
    assert [(c.phone, c.first_name, c.tags) for c in bulk] == [
        (THIRD, "Cy", ("new",)),
        (OTHER, None, ()),
    ]
    assert await client.count_contacts() == 3
    listed = await client.list_contacts(order_by="phone", order_direction="asc")
    assert [c.phone for c in listed] == [CONTACT, OTHER, THIRD]
    only = await client.list_contacts(contact_id=created.contact_id, limit=5)
    assert [c.phone for c in only] == [CONTACT]
    assert [c.phone for c in await client.list_contacts(phone_number=OTHER)] == [OTHER]
    later = START + timedelta(seconds=1)
    assert await client.list_contacts(created_at_gte=later, offset=0) == []
    opted = await client.set_contact_opt_out(number=OTHER)
    assert (opted.number, opted.opted_out) == (OTHER, True)
    assert (await client.get_contact(number=OTHER)).opt_out is True
    back = await client.set_contact_opt_out(number=OTHER, opted_out=False)
    assert back.opted_out is False
    assert await client.delete_contact(number=CONTACT) is None
    with pytest.raises(SendblueNotFoundError, match="Contact not found"):
        await client.get_contact(number=CONTACT)
    assert await client.delete_contacts(numbers=[OTHER, THIRD, STRANGER]) == 2
    assert await client.count_contacts() == 0
    assert simulator.control.contacts() == []


# -- webhooks -----------------------------------------------------------------


async def test_webhooks_add_list_delete(
    client: SendblueClient, simulator: Simulator
) -> None:
    """Adding appends per type, deleting removes by URL and leaves the rest."""
    added = await client.add_webhooks(
        webhooks=[
            HOOK_A,
            WebhookConfiguration(
                url=HOOK_B, secret=HOOK_SECRET, sendblue_numbers=(LINE_2,)
            ),
        ],
        global_secret=GLOBAL_SECRET,
    )
    assert added.urls(WebhookType.RECEIVE) == {HOOK_A, HOOK_B}
    assert added.global_secret == GLOBAL_SECRET
    await client.add_webhooks(webhooks=[HOOK_O], webhook_type=WebhookType.OUTBOUND)
    listed = await client.list_webhooks()
    assert listed.by_type["receive"] == (
        WebhookConfiguration(url=HOOK_A),
        WebhookConfiguration(
            url=HOOK_B, secret=HOOK_SECRET, sendblue_numbers=(LINE_2,)
        ),
    )
    assert listed.urls("outbound") == {HOOK_O}
    assert await client.delete_webhooks(urls=[HOOK_A]) is None
    remaining = await client.list_webhooks()
    assert remaining.urls("receive") == {HOOK_B}
    assert remaining.urls("outbound") == {HOOK_O}
    assert simulator.control.webhooks()["receive"] == [
        {"url": HOOK_B, "secret": HOOK_SECRET, "sendblue_numbers": [LINE_2]}
    ]


async def test_replace_webhooks_replaces_everything(client: SendblueClient) -> None:
    """PUT drops every webhook not given (why the integration never calls it)."""
    await client.add_webhooks(webhooks=[HOOK_A])
    await client.add_webhooks(webhooks=[HOOK_O], webhook_type="outbound")
    replaced = await client.replace_webhooks(
        webhooks=Webhooks(by_type={"call_log": (WebhookConfiguration(url=HOOK_C),)})
    )
    assert replaced.urls("call_log") == {HOOK_C}
    assert replaced.urls("receive") == set()
    assert replaced.urls("outbound") == set()
    assert (await client.list_webhooks()).urls("receive") == set()


# -- contact sharing, lines, account ------------------------------------------


async def test_contact_sharing(client: SendblueClient) -> None:
    """No profile at first; set one and read it back."""
    before = await client.get_contact_sharing_state(from_number=LINE_1)
    assert before.has_profile is False
    profile = await client.set_contact_sharing_profile(
        from_number=LINE_1,
        first_name="Home",
        last_name="Assistant",
        photo_url="https://example.com/me.png",
        display_name="HA",
    )
    assert (profile.has_profile, profile.first_name, profile.display_name) == (
        True,
        "Home",
        "HA",
    )
    assert await client.get_contact_sharing_state(from_number=LINE_1) == profile
    other = await client.get_contact_sharing_state(from_number=LINE_2)
    assert other.has_profile is False


@pytest.mark.parametrize("wait", [0, 601], ids=["in-time", "expired"])
async def test_line_provisioning(
    client: SendblueClient, simulator: Simulator, wait: int
) -> None:
    """A preview token buys one line within ten minutes, and only once."""
    preview = await client.preview_line_provisioning()
    assert preview.preview_token
    assert preview.preview_token.startswith("lpv_")
    assert preview.expires_at == START + timedelta(minutes=10)
    await simulator.control.advance(wait)
    if wait:
        with pytest.raises(SendblueValidationError, match="Invalid or expired"):
            await client.confirm_line_provisioning(preview_token=preview.preview_token)
        assert await client.list_lines() == [LINE_1, LINE_2]
        return
    result = await client.confirm_line_provisioning(preview_token=preview.preview_token)
    assert result.status == "OK"
    assert await client.list_lines() == [LINE_1, LINE_2, result.raw["phone_number"]]
    with pytest.raises(SendblueValidationError):
        await client.confirm_line_provisioning(preview_token=preview.preview_token)


async def test_line_request(client: SendblueClient, simulator: Simulator) -> None:
    """A line request is OPEN until the simulator fulfils it."""
    ticket = await client.request_line(desired_area_code="415")
    assert (ticket.status, ticket.type, ticket.desired_area_code) == (
        "OPEN",
        "PHONE",
        "415",
    )
    assert ticket.id
    assert ticket.created_at == START
    assert await client.get_line_request(request_id=ticket.id) == ticket
    simulator.control.fulfill_line_request(ticket.id, "+14155550123")
    done = await client.get_line_request(request_id=ticket.id)
    assert (done.status, done.fulfilled_number, done.fulfilled_at) == (
        "FULFILLED",
        "+14155550123",
        START,
    )
    assert "+14155550123" in await client.list_lines()
    with pytest.raises(SendblueNotFoundError, match="Line request not found"):
        await client.get_line_request(request_id="missing")


async def test_account_and_lines(client: SendblueClient, simulator: Simulator) -> None:
    """Account, line list, line health (following the simulator) and usage."""
    account = await client.get_account()
    assert (account.email, account.plan, account.company_name) == (
        "demo@example.com",
        "dedicated",
        "Demo Company",
    )
    assert await client.list_lines() == simulator.lines == [LINE_1, LINE_2]
    simulator.control.set_line_status(LINE_2, "DEGRADED")
    state = await client.get_lines_state()
    assert state.snapshot_at == START
    assert [(line.sendblue_number, line.status) for line in state.lines] == [
        (LINE_1, LineStatus.ONLINE),
        (LINE_2, LineStatus.DEGRADED),
    ]
    usage = await client.get_lines_usage()
    assert usage.enabled is True
    assert [line.phone for line in usage.lines] == [LINE_1, LINE_2]
    assert all(line.daily is not None for line in usage.lines)


# -- errors from the simulator's real envelopes --------------------------------


@pytest.mark.parametrize(
    ("call", "error_code"),
    [("get_account", None), ("get_lines_state", "UNAUTHORIZED")],
)
async def test_bad_credentials(
    make_client: Callable[..., SendblueClient],
    simulator: Simulator,
    call: str,
    error_code: str | None,
) -> None:
    """A wrong secret is a 401; /api/v2 adds an error_code."""
    async with make_client(api_secret_key=WRONG_SECRET) as client:
        with pytest.raises(SendblueAuthenticationError, match="Unauthorized") as err:
            await getattr(client, call)()
    assert (err.value.status, err.value.error_code) == (401, error_code)
    assert len(_requests(simulator)) == 1  # never retried


async def test_unknown_from_number(
    client: SendblueClient, simulator: Simulator
) -> None:
    """Sendblue's own message reaches the caller; nothing is stored."""
    with pytest.raises(SendblueValidationError) as err:
        await client.send_message(
            number=CONTACT, from_number=UNKNOWN_LINE, content="Hi"
        )
    assert str(err.value) == "The from_number is not registered"
    assert err.value.status == 400
    assert len(_requests(simulator, SENDS)) == 1
    assert simulator.control.messages() == []


async def test_burst_limit_raw_429(
    make_client: Callable[..., SendblueClient], simulator: Simulator
) -> None:
    """Unpaced, the eleventh send within a second gets the line's 429."""
    async with make_client(pace_sends=False, max_retries=0) as client:
        for index in range(10):
            await client.send_message(
                number=CONTACT, from_number=LINE_1, content=str(index)
            )
        with pytest.raises(SendblueRateLimitError, match="at most 10") as err:
            await client.send_message(number=CONTACT, from_number=LINE_1, content="x")
    assert (err.value.status, err.value.retry_after) == (429, 1.0)
    statuses = [entry["status"] for entry in _requests(simulator, SENDS)]
    assert statuses == [200] * 10 + [429]
    assert len(simulator.control.messages()) == 10


async def test_paced_burst_gets_no_429(
    make_client: Callable[..., SendblueClient], simulator: Simulator
) -> None:
    """Paced, 25 sends on one line all pass: the pacer waits out the bucket."""
    async with make_client(max_retries=0) as client:
        for index in range(25):
            await client.send_message(
                number=CONTACT, from_number=LINE_1, content=str(index)
            )
    statuses = [entry["status"] for entry in _requests(simulator, SENDS)]
    assert statuses == [200] * 25
    assert len(simulator.control.messages(outbound=True)) == 25
    # Ten went at once, the other fifteen one pacer slot apart (a little slower
    # than Sendblue's 10 a second, on purpose), and no longer than that.
    assert simulator.clock.monotonic() == pytest.approx(15 / RATE)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", SendblueServerError),
        ("unavailable", SendblueServerError),
        ("reset", SendblueConnectionError),
    ],
)
async def test_failed_send_is_not_repeated(
    client: SendblueClient,
    simulator: Simulator,
    kind: str,
    error: type[SendblueError],
) -> None:
    """A 5xx or a reset after sending may have sent it: no second attempt."""
    simulator.control.add_fault(kind, count=1, path_prefix=SENDS)
    with pytest.raises(error):
        await client.send_message(number=CONTACT, from_number=LINE_1, content="Hi")
    assert [entry["fault"] for entry in _requests(simulator, SENDS)] == [kind]
    assert simulator.control.messages() == []


@pytest.fixture
def sleeps(client: SendblueClient) -> list[float]:
    """Record the client's waits between retries instead of waiting."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client._sleep = sleep
    return waits


@pytest.mark.parametrize(
    ("kind", "status", "path", "call"),
    [
        ("unavailable", 503, "/api/v2/lines/state", "get_lines_state"),
        ("server_error", 500, "/account", "get_account"),
    ],
)
async def test_failed_get_is_retried(
    client: SendblueClient,
    simulator: Simulator,
    sleeps: list[float],
    kind: str,
    status: int,
    path: str,
    call: str,
) -> None:
    """A GET is safe to repeat: the retry succeeds (zero backoff, no real wait)."""
    simulator.control.add_fault(kind, count=1, path_prefix=path)
    assert await getattr(client, call)()
    statuses = [entry["status"] for entry in _requests(simulator, path)]
    assert statuses == [status, 200]
    assert sleeps == [0.0]


async def test_rate_limited_send_is_retried_after_retry_after(
    client: SendblueClient, simulator: Simulator, sleeps: list[float]
) -> None:
    """A 429 means Sendblue refused the send, so it is retried after Retry-After."""
    simulator.control.add_fault("rate_limit", count=1, path_prefix=SENDS, retry_after=2)
    sent = await client.send_message(number=CONTACT, from_number=LINE_1, content="Hi")
    assert sent.status is MessageStatus.QUEUED
    assert [entry["status"] for entry in _requests(simulator, SENDS)] == [429, 200]
    assert sleeps == [2.0]
    assert len(simulator.control.messages()) == 1


# -- coverage of the client's surface ------------------------------------------

EXERCISED = {
    "add_webhooks",
    "close",
    "confirm_line_provisioning",
    "count_contacts",
    "create_contact",
    "create_contacts",
    "create_group",
    "delete_contact",
    "delete_contacts",
    "delete_message",
    "delete_webhooks",
    "evaluate_service",
    "get_account",
    "get_contact",
    "get_contact_sharing_state",
    "get_line_request",
    "get_lines_state",
    "get_lines_usage",
    "get_message",
    "get_message_status",
    "iter_message_pages",
    "list_contacts",
    "list_lines",
    "list_messages",
    "list_webhooks",
    "mark_read",
    "modify_group",
    "preview_line_provisioning",
    "replace_webhooks",
    "request_line",
    "send_group_message",
    "send_message",
    "send_reaction",
    "send_typing_indicator",
    "set_contact_opt_out",
    "set_contact_sharing_profile",
    "update_contact",
    "upload_file",
    "upload_media_object",
}


def test_every_public_method_is_exercised() -> None:
    """A new client method must get a test here (and join EXERCISED)."""
    public = {
        name
        for name, value in inspect.getmembers(SendblueClient)
        if not name.startswith("_")
        and (inspect.iscoroutinefunction(value) or inspect.isasyncgenfunction(value))
    }
    assert public == EXERCISED
