"""Our client and the official SDK make the same call for every endpoint both cover.

Each case makes one logical call through SendblueClient and through the official
SDK (sendblue==1.33.0, see test_sdk_conformance.py) against one simulator. The two
request-log entries must agree on method, decoded path, parsed query and parsed JSON
body. Endpoints only our client has are listed in CLIENT_ONLY with the reason.
"""

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from sendblue_api import AsyncSendblueAPI

from custom_components.sendblue.api import (
    MessageStatus,
    MessageType,
    ModifyType,
    NewContact,
    SendblueClient,
    SendStyle,
    Service,
    TypingState,
    WebhookConfiguration,
    Webhooks,
    WebhookType,
)
from sendblue_simulator import Simulator

LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"
OTHER = "+15550000004"
THIRD = "+15550000006"
FOURTH = "+15550000008"
EMAIL = "ada@example.com"
WHEN = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
# Not UTC, so that an offset that went missing or was rewritten would show.
LATER = datetime(2026, 2, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
HOOK_A = "https://example.com/hooks/a"
HOOK_B = "https://example.com/hooks/b"
HOOK_O = "https://example.com/hooks/o"
HOOK_SECRET = "hook-secret"
GLOBAL_SECRET = "global-secret"
DATETIME_SUFFIXES = ("_gte", "_lte")

# Client methods the SDK has no counterpart for, so nothing to compare against.
CLIENT_ONLY: dict[str, str] = {
    "send_reaction": "POST /api/send-reaction: tapbacks are not in the SDK (ref §3)",
    "mark_read": "POST /api/mark-read: read receipts are not in the SDK (ref §4)",
    "upload_file": (
        "POST /api/upload-file: multipart; no SDK endpoint sends multipart (ref §19)"
    ),
    "create_group": "POST /api/create-group: not in the SDK (ref §7.2)",
    "delete_message": "DELETE /api/message/{handle}: not in the SDK (ref §1.5)",
    "list_lines": "GET /api/lines: not in the SDK (ref §10.1)",
    "get_account": "GET /account: credential check, not in the SDK (ref §9)",
    "get_contact_sharing_state": (
        "GET /api/v2/contact-sharing/state: not in the SDK (ref §15)"
    ),
    "set_contact_sharing_profile": (
        "POST /api/v2/contact-sharing/profile: not in the SDK (ref §15)"
    ),
    "preview_line_provisioning": (
        "POST /accounts/lines/provision-preview: not in the SDK (ref §10.6)"
    ),
    "confirm_line_provisioning": (
        "POST /accounts/lines/provision-confirm: not in the SDK (ref §10.6)"
    ),
    "request_line": "POST /accounts/lines/add-line: not in the SDK (ref §10.6)",
    "get_line_request": (
        "GET /accounts/lines/line-request/{id}: not in the SDK (ref §10.6)"
    ),
}
# Public coroutines of the client that are not endpoints of their own.
NOT_ENDPOINTS: dict[str, str] = {
    "iter_message_pages": "pages over list_messages, which is compared",
    "close": "closes the session; no request",
}


@dataclass(frozen=True)
class World:
    """What the calls refer to, made before the calls are recorded."""

    handle: str  # an outbound 1:1 message from LINE_1 to CONTACT
    group_id: str  # a group of LINE_1 with CONTACT and OTHER
    contact_id: str  # the contact CONTACT


@dataclass(frozen=True)
class Wire:
    """One request as both sides must agree on it."""

    method: str
    path: str
    query: dict[str, object]
    body: object


type Ours = Callable[[SendblueClient, World], Awaitable[object]]
type Sdk = Callable[[AsyncSendblueAPI, World], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    """One logical call made through both clients."""

    id: str
    method: str  # the SendblueClient method compared
    ours: Ours
    sdk: Sdk
    # Runs (through our client, unrecorded) before each side, for calls that use
    # something up, so that both sides meet the same state.
    before: Ours | None = None
    # Body fields our client always sends while the SDK leaves them out for the
    # server's documented default; added to the SDK's body before comparing.
    server_defaults: dict[str, object] = field(default_factory=dict)


async def _drop(client: SendblueClient, *numbers: str) -> None:
    """Delete contacts if they exist (bulk delete ignores unknown numbers)."""
    await client.delete_contacts(numbers=list(numbers))


async def _add_hook(client: SendblueClient, _world: World) -> None:
    """Register HOOK_A as a receive webhook."""
    await client.add_webhooks(webhooks=[HOOK_A])


async def _ensure_other(client: SendblueClient, _world: World) -> None:
    """Make the contact OTHER exist."""
    await client.create_contact(number=OTHER, update_if_exists=True)


async def _ensure_two(client: SendblueClient, _world: World) -> None:
    """Make the contacts OTHER and THIRD exist."""
    await client.create_contacts(
        contacts=[NewContact(phone=OTHER), NewContact(phone=THIRD)]
    )


CASES: list[Case] = [
    # -- messages
    Case(
        "send-message-full",
        "send_message",
        lambda c, w: c.send_message(
            number=CONTACT,
            from_number=LINE_1,
            content="Hello",
            media_url="https://cdn.example.com/a.png",
            send_style="invisible",
            status_callback="https://example.com/cb",
            reply_to=w.handle,
            reply_to_part_index=1,
        ),
        lambda s, w: s.messages.send(
            number=CONTACT,
            from_number=LINE_1,
            content="Hello",
            media_url="https://cdn.example.com/a.png",
            send_style="invisible",
            status_callback="https://example.com/cb",
            reply_to={"message_handle": w.handle, "part_index": 1},
        ),
    ),
    Case(
        "send-message-email-media-enum-style",
        "send_message",
        lambda c, _w: c.send_message(
            number=EMAIL,
            from_number=LINE_2,
            media_url="https://cdn.example.com/v.caf",
            send_style=SendStyle.CELEBRATION,
        ),
        lambda s, _w: s.messages.send(
            number=EMAIL,
            from_number=LINE_2,
            media_url="https://cdn.example.com/v.caf",
            send_style="celebration",
        ),
    ),
    Case(
        "send-group-message-numbers",
        "send_group_message",
        lambda c, _w: c.send_group_message(
            from_number=LINE_1, numbers=[CONTACT, OTHER, THIRD], content="Hi all"
        ),
        lambda s, _w: s.groups.send_message(
            from_number=LINE_1, numbers=[CONTACT, OTHER, THIRD], content="Hi all"
        ),
    ),
    Case(
        "send-group-message-group-id",
        "send_group_message",
        lambda c, w: c.send_group_message(
            from_number=LINE_1,
            group_id=w.group_id,
            content="Again",
            media_url="https://cdn.example.com/b.jpg",
            reply_to=w.handle,
        ),
        lambda s, w: s.groups.send_message(
            from_number=LINE_1,
            group_id=w.group_id,
            content="Again",
            media_url="https://cdn.example.com/b.jpg",
            reply_to={"message_handle": w.handle},
        ),
    ),
    Case(
        "modify-group",
        "modify_group",
        lambda c, w: c.modify_group(
            group_id=w.group_id,
            modify_type=ModifyType.ADD_RECIPIENT,
            number=THIRD,
            from_number=LINE_1,
        ),
        lambda s, w: s.groups.modify(
            group_id=w.group_id,
            modify_type="add_recipient",
            number=THIRD,
            from_number=LINE_1,
        ),
    ),
    Case(
        "status",
        "get_message_status",
        lambda c, w: c.get_message_status(message_handle=w.handle),
        lambda s, w: s.messages.get_status(handle=w.handle),
    ),
    Case(
        "evaluate-service-phone",
        "evaluate_service",
        lambda c, _w: c.evaluate_service(number=CONTACT),
        lambda s, _w: s.lookups.lookup_number(number=CONTACT),
    ),
    Case(
        "evaluate-service-email",
        "evaluate_service",
        lambda c, _w: c.evaluate_service(number=EMAIL),
        lambda s, _w: s.lookups.lookup_number(number=EMAIL),
    ),
    Case(
        "list-messages-inbound-poll",
        "list_messages",
        lambda c, _w: c.list_messages(
            limit=10,
            offset=0,
            order_by="createdAt",
            order_direction="desc",
            is_outbound=False,
            sendblue_number=LINE_1,
            created_at_gte=WHEN,
        ),
        lambda s, _w: s.messages.list(
            limit=10,
            offset=0,
            order_by="createdAt",
            order_direction="desc",
            is_outbound="false",
            sendblue_number=LINE_1,
            created_at_gte=WHEN,
        ),
    ),
    Case(
        "list-messages-every-filter",
        "list_messages",
        lambda c, w: c.list_messages(
            limit=100,
            offset=5,
            order_by="updatedAt",
            order_direction="asc",
            is_outbound=True,
            message_type=MessageType.MESSAGE,
            status=MessageStatus.DELIVERED,
            service=Service.IMESSAGE,
            number=CONTACT,
            from_number=LINE_1,
            to_number=CONTACT,
            group_id=w.group_id,
            account_email="demo@example.com",
            created_at_lte=LATER,
            sent_at_gte=WHEN,
            sent_at_lte=LATER,
            updated_at_gte=WHEN,
            updated_at_lte=LATER,
        ),
        lambda s, w: s.messages.list(
            limit=100,
            offset=5,
            order_by="updatedAt",
            order_direction="asc",
            is_outbound="true",
            message_type="message",
            status="DELIVERED",
            service="iMessage",
            number=CONTACT,
            from_number=LINE_1,
            to_number=CONTACT,
            group_id=w.group_id,
            account_email="demo@example.com",
            created_at_lte=LATER,
            sent_at_gte=WHEN,
            sent_at_lte=LATER,
            updated_at_gte=WHEN,
            updated_at_lte=LATER,
        ),
    ),
    Case(
        "list-messages-no-filter",
        "list_messages",
        lambda c, _w: c.list_messages(),
        lambda s, _w: s.messages.list(),
    ),
    Case(
        "get-message",
        "get_message",
        lambda c, w: c.get_message(message_id=w.handle),
        lambda s, w: s.messages.retrieve(w.handle),
    ),
    Case(
        "send-typing-indicator",
        "send_typing_indicator",
        lambda c, _w: c.send_typing_indicator(
            number=CONTACT,
            from_number=LINE_1,
            state=TypingState.STOP,
            max_duration_ms=5000,
        ),
        lambda s, _w: s.typing_indicators.send(
            number=CONTACT, from_number=LINE_1, state="stop", max_duration_ms=5000
        ),
    ),
    Case(
        "send-typing-indicator-defaults",
        "send_typing_indicator",
        lambda c, _w: c.send_typing_indicator(number=CONTACT, from_number=LINE_1),
        lambda s, _w: s.typing_indicators.send(number=CONTACT, from_number=LINE_1),
        # Our state defaults to start and is always sent; start is the API's default.
        server_defaults={"state": "start"},
    ),
    Case(
        "upload-media-object",
        "upload_media_object",
        lambda c, _w: c.upload_media_object(
            media_url="https://cdn.example.com/signed.jpg?sig=a+b"
        ),
        lambda s, _w: s.media_objects.upload(
            media_url="https://cdn.example.com/signed.jpg?sig=a+b"
        ),
    ),
    # -- contacts
    Case(
        "list-contacts",
        "list_contacts",
        lambda c, w: c.list_contacts(
            limit=5,
            offset=0,
            order_by="phone",
            order_direction="asc",
            phone_number=CONTACT,
            contact_id=w.contact_id,
            created_at_gte=WHEN,
        ),
        lambda s, w: s.contacts.list(
            limit=5,
            offset=0,
            order_by="phone",
            order_direction="asc",
            phone_number=CONTACT,
            cid=w.contact_id,
            created_at_gte=WHEN,
        ),
    ),
    Case(
        "count-contacts",
        "count_contacts",
        lambda c, _w: c.count_contacts(),
        lambda s, _w: s.contacts.count(),
    ),
    Case(
        "get-contact",
        "get_contact",
        lambda c, _w: c.get_contact(number=CONTACT),
        lambda s, _w: s.contacts.retrieve(CONTACT),
    ),
    Case(
        "create-contact-full",
        "create_contact",
        # company_name is left out: our client can send it on create, the SDK cannot.
        lambda c, _w: c.create_contact(
            number=THIRD,
            first_name="Ada",
            last_name="Lovelace",
            assigned_to_email="agent@example.com",
            sendblue_number=LINE_1,
            tags=["vip", "beta"],
            custom_variables={"plan": "gold"},
            update_if_exists=True,
        ),
        lambda s, _w: s.contacts.create(
            number=THIRD,
            body_first_name_1="Ada",
            body_last_name_1="Lovelace",
            body_assigned_to_email_1="agent@example.com",
            body_sendblue_number_1=LINE_1,
            tags=["vip", "beta"],
            custom_variables={"plan": "gold"},
            update_if_exists=True,
        ),
    ),
    Case(
        "create-contact-number-only",
        "create_contact",
        lambda c, _w: c.create_contact(number=FOURTH),
        lambda s, _w: s.contacts.create(number=FOURTH),
        before=lambda c, _w: _drop(c, FOURTH),
    ),
    Case(
        "update-contact",
        "update_contact",
        lambda c, _w: c.update_contact(
            number=CONTACT,
            first_name="Ada",
            last_name="King",
            company_name="Analytical Engines",
            assigned_to_email="agent@example.com",
            sendblue_number=LINE_2,
            tags=["vip"],
            custom_variables={"x": "1"},
            opt_out=False,
        ),
        lambda s, _w: s.contacts.update(
            CONTACT,
            body_first_name_1="Ada",
            body_last_name_1="King",
            body_company_name_1="Analytical Engines",
            body_assigned_to_email_1="agent@example.com",
            body_sendblue_number_1=LINE_2,
            tags=["vip"],
            custom_variables={"x": "1"},
            body_opt_out_1=False,
        ),
    ),
    Case(
        "delete-contact",
        "delete_contact",
        lambda c, _w: c.delete_contact(number=OTHER),
        lambda s, _w: s.contacts.delete(OTHER),
        before=_ensure_other,
    ),
    Case(
        "bulk-create-contacts",
        "create_contacts",
        lambda c, _w: c.create_contacts(
            contacts=[
                NewContact(
                    phone=OTHER,
                    first_name="Bo",
                    last_name="Diddley",
                    company_name="Chess",
                    tags=("music",),
                    custom_variables={"genre": "rock"},
                ),
                NewContact(phone=THIRD),
            ]
        ),
        lambda s, _w: s.contacts.bulk.create(
            contacts=[
                {
                    "phone": OTHER,
                    "first_name": "Bo",
                    "last_name": "Diddley",
                    "company_name": "Chess",
                    "tags": ["music"],
                    "custom_variables": {"genre": "rock"},
                },
                {"phone": THIRD},
            ]
        ),
    ),
    Case(
        "bulk-delete-contacts",
        "delete_contacts",
        lambda c, _w: c.delete_contacts(numbers=[OTHER, THIRD]),
        lambda s, _w: s.contacts.bulk.delete(contact_ids=[OTHER, THIRD]),
        before=_ensure_two,
    ),
    Case(
        "contact-opt-out",
        "set_contact_opt_out",
        lambda c, _w: c.set_contact_opt_out(number=OTHER, opted_out=True),
        lambda s, _w: s.contacts.opt_out(number=OTHER, opted_out=True),
    ),
    Case(
        "contact-opt-out-defaults",
        "set_contact_opt_out",
        lambda c, _w: c.set_contact_opt_out(number=OTHER),
        lambda s, _w: s.contacts.opt_out(number=OTHER),
        # Our opted_out defaults to True and is always sent; true is the API's default.
        server_defaults={"opted_out": True},
    ),
    Case(
        "contact-opt-in",
        "set_contact_opt_out",
        lambda c, _w: c.set_contact_opt_out(number=OTHER, opted_out=False),
        lambda s, _w: s.contacts.opt_out(number=OTHER, opted_out=False),
    ),
    # -- webhooks
    Case(
        "list-webhooks",
        "list_webhooks",
        lambda c, _w: c.list_webhooks(),
        lambda s, _w: s.webhooks.list(),
    ),
    Case(
        "add-webhooks-receive",
        "add_webhooks",
        lambda c, _w: c.add_webhooks(
            webhooks=[
                HOOK_A,
                WebhookConfiguration(
                    url=HOOK_B, secret=HOOK_SECRET, sendblue_numbers=(LINE_2,)
                ),
            ],
            webhook_type=WebhookType.RECEIVE,
            global_secret=GLOBAL_SECRET,
        ),
        lambda s, _w: s.webhooks.create(
            webhooks=[
                HOOK_A,
                {"url": HOOK_B, "secret": HOOK_SECRET, "sendblue_numbers": [LINE_2]},
            ],
            type="receive",
            global_secret=GLOBAL_SECRET,
        ),
    ),
    Case(
        "add-webhooks-outbound",
        "add_webhooks",
        lambda c, _w: c.add_webhooks(webhooks=[HOOK_O], webhook_type="outbound"),
        lambda s, _w: s.webhooks.create(webhooks=[HOOK_O], type="outbound"),
    ),
    Case(
        "add-webhooks-defaults",
        "add_webhooks",
        lambda c, _w: c.add_webhooks(webhooks=[HOOK_A]),
        lambda s, _w: s.webhooks.create(webhooks=[HOOK_A]),
        # Our webhook_type defaults to receive and is always sent; so does the API's.
        server_defaults={"type": "receive"},
    ),
    Case(
        "replace-webhooks",
        "replace_webhooks",
        lambda c, _w: c.replace_webhooks(
            webhooks=Webhooks(
                by_type={
                    "receive": (WebhookConfiguration(url=HOOK_A),),
                    "outbound": (WebhookConfiguration(url=HOOK_O, secret=HOOK_SECRET),),
                },
                global_secret=GLOBAL_SECRET,
            )
        ),
        lambda s, _w: s.webhooks.update(
            webhooks={
                "receive": [HOOK_A],
                "outbound": [{"url": HOOK_O, "secret": HOOK_SECRET}],
                "global_secret": GLOBAL_SECRET,
            }
        ),
    ),
    Case(
        "delete-webhooks",
        "delete_webhooks",
        lambda c, _w: c.delete_webhooks(urls=[HOOK_A], webhook_type="receive"),
        lambda s, _w: s.webhooks.delete(webhooks=[HOOK_A], type="receive"),
        before=_add_hook,
    ),
    Case(
        "delete-webhooks-defaults",
        "delete_webhooks",
        lambda c, _w: c.delete_webhooks(urls=[HOOK_A]),
        lambda s, _w: s.webhooks.delete(webhooks=[HOOK_A]),
        before=_add_hook,
        # Our webhook_type defaults to receive and is always sent; so does the API's.
        server_defaults={"type": "receive"},
    ),
    # -- lines
    Case(
        "lines-state",
        "get_lines_state",
        lambda c, _w: c.get_lines_state(),
        lambda s, _w: s.lines.get_state(),
    ),
    Case(
        "lines-usage",
        "get_lines_usage",
        lambda c, _w: c.get_lines_usage(),
        lambda s, _w: s.lines.get_usage(),
    ),
]


def _query_value(key: str, value: str) -> object:
    """Compare datetimes as instants (an offset may be spelt differently)."""
    if key.endswith(DATETIME_SUFFIXES):
        # A naive value stays naive and then never equals an aware one.
        return datetime.fromisoformat(value)
    return value


def _wire(entry: dict[str, Any]) -> Wire:
    """Reduce a request-log entry to what both sides must agree on."""
    pairs = parse_qsl(entry["query_string"], keep_blank_values=True)
    query = {key: _query_value(key, value) for key, value in pairs}
    assert len(query) == len(pairs), f"repeated query parameter: {pairs}"
    # `+` may be literal (the Python SDK) or %2B (our client): decode both.
    return Wire(entry["method"], unquote(entry["raw_path"]), query, entry["json"])


@pytest.fixture
async def client(sendblue_simulator: Simulator) -> AsyncIterator[SendblueClient]:
    """Yield our client pointed at the simulator (no retries)."""
    async with SendblueClient(
        sendblue_simulator.api_key_id,
        sendblue_simulator.api_secret_key,
        base_url=sendblue_simulator.base_url,
        max_retries=0,
    ) as client:
        yield client


@pytest.fixture
async def sdk(sendblue_simulator: Simulator) -> AsyncIterator[AsyncSendblueAPI]:
    """Yield the official async client pointed at the simulator (no retries)."""
    async with AsyncSendblueAPI(
        api_key=sendblue_simulator.api_key_id,
        api_secret=sendblue_simulator.api_secret_key,
        base_url=sendblue_simulator.base_url,
        max_retries=0,
    ) as client:
        yield client


@pytest.fixture
async def world(client: SendblueClient) -> World:
    """Make a message, a group and a contact for the calls to refer to."""
    sent = await client.send_message(number=CONTACT, from_number=LINE_1, content="1")
    group = await client.send_group_message(
        from_number=LINE_1, numbers=[CONTACT, OTHER], content="2"
    )
    contact = await client.create_contact(number=CONTACT)
    assert group.group_id
    assert contact.contact_id
    return World(sent.message_handle, group.group_id, contact.contact_id)


async def _record(simulator: Simulator, call: Callable[[], Awaitable[object]]) -> Wire:
    """Make one call and return the single request it made."""
    simulator.control.clear_requests()
    await call()
    entries = simulator.control.requests()
    assert len(entries) == 1, entries
    assert entries[0]["status"] < 300, entries[0]
    return _wire(entries[0])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_same_call(
    case: Case,
    sendblue_simulator: Simulator,
    client: SendblueClient,
    sdk: AsyncSendblueAPI,
    world: World,
) -> None:
    """Method, decoded path, query and JSON body are the same on the wire."""
    wires: list[Wire] = []
    for call in (lambda: case.ours(client, world), lambda: case.sdk(sdk, world)):
        if case.before is not None:
            await case.before(client, world)
        wires.append(await _record(sendblue_simulator, call))
    ours, theirs = wires
    if case.server_defaults:
        # Only fields the SDK really left out, and that we really sent.
        assert isinstance(theirs.body, dict)
        assert isinstance(ours.body, dict)
        assert not case.server_defaults.keys() & theirs.body.keys()
        assert case.server_defaults.keys() <= ours.body.keys()
        theirs = replace(theirs, body=case.server_defaults | theirs.body)
    assert ours == theirs


def test_every_client_endpoint_is_compared_or_client_only() -> None:
    """Each public client method is compared, client-only or not an endpoint."""
    public = {
        name
        for name, value in inspect.getmembers(SendblueClient)
        if not name.startswith("_")
        and (inspect.iscoroutinefunction(value) or inspect.isasyncgenfunction(value))
    }
    compared = {case.method for case in CASES}
    assert not compared & CLIENT_ONLY.keys()
    assert not (compared | CLIENT_ONLY.keys()) & NOT_ENDPOINTS.keys()
    assert compared | CLIENT_ONLY.keys() | NOT_ENDPOINTS.keys() == public
    assert all(CLIENT_ONLY.values())
