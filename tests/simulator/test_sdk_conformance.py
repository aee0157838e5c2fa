"""The official Python SDK (sendblue==1.33.0, sendblue_api) against the simulator.

Every SDK method is either called here (and its typed response checked for the
documented fields) or listed in OUT_OF_SCOPE with the reason.
"""

import inspect
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest
import sendblue_api
from sendblue_api import AsyncSendblueAPI
from sendblue_api._resource import AsyncAPIResource

from sendblue_simulator import Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

SDK_VERSION = "1.33.0"
LINE_1 = "+15125550101"
LINE_2 = "+15125550102"
CONTACT = "+15550000002"
OTHER = "+15550000004"

AREAS: dict[str, tuple[str, ...]] = {
    "messages": (
        "messages.send",
        "messages.get_status",
        "messages.list",
        "messages.retrieve",
        "lookups.lookup_number",
        "send_carousel.send",
        "typing_indicators.send",
        "media_objects.upload",
    ),
    "groups": (
        "groups.send_message",
        "groups.modify",
        "v2.groups.retrieve",
        "v2.groups.rename",
        "v2.groups.set_photo",
    ),
    "contacts": (
        "contacts.create",
        "contacts.retrieve",
        "contacts.update",
        "contacts.list",
        "contacts.count",
        "contacts.opt_out",
        "contacts.verify",
        "contacts.delete",
        "contacts.bulk.create",
        "contacts.bulk.delete",
    ),
    "webhooks": (
        "webhooks.create",
        "webhooks.list",
        "webhooks.update",
        "webhooks.delete",
    ),
    "lines": (
        "lines.get_state",
        "lines.get_usage",
        "lines.get_contact_status",
        "lines.call_forwarding.retrieve",
        "lines.call_forwarding.update",
        "lines.call_forwarding.delete",
        "v2.seats.list",
        "v2.seats.count",
        "v2.seats.retrieve",
    ),
}
_APP_CARDS = (
    "App Cards need a V2 Mac line and a Messages extension; "
    "not modelled, not used by the project"
)
_FIND_MY = (
    "Find My location sharing needs dedicated Mac lines and device state; "
    "not modelled, not used by the project"
)
_SSE = "long-lived text/event-stream; the simulator delivers events by webhook instead"
_VERIFIED = (
    "v3 verified contacts belong to shared-line (free) plans; "
    "the simulator models a dedicated plan"
)
_TOKENS = (
    "temporary Bearer tokens (/v3/auth/tokens); "
    "the simulator authenticates by key id and secret only"
)
_TOTP = "TOTP secret storage is unrelated to messaging; not used by the project"
_OTP = "hosted OTP verification product (Verify); not used by the project"
OUT_OF_SCOPE: dict[str, str] = {
    "messages.update_app_card": _APP_CARDS,
    "request_location.create": _FIND_MY,
    "location.list": _FIND_MY,
    "location.retrieve": _FIND_MY,
    "location.watch": f"{_FIND_MY}; also {_SSE}",
    "events.stream": _SSE,
    "verified_contacts.create": _VERIFIED,
    "verified_contacts.list": _VERIFIED,
    "verified_contacts.retrieve": _VERIFIED,
    "auth.tokens.create": _TOKENS,
    "auth.tokens.revoke": _TOKENS,
    "v2.totp.get_code": _TOTP,
    "v2.totp.secrets.create": _TOTP,
    "v2.totp.secrets.list": _TOTP,
    "v2.totp.secrets.delete": _TOTP,
    "verify.verifications.create": _OTP,
    "verify.verifications.list": _OTP,
    "verify.verifications.retrieve": _OTP,
    "messages.v2.verify.services.verifications.create": _OTP,
    "messages.v2.verify.services.verifications.retrieve": _OTP,
}


def sdk_methods(client: AsyncSendblueAPI) -> set[str]:
    """Return every resource method of the SDK as a dotted path."""
    found: set[str] = set()

    def walk(resource: object, prefix: str) -> None:
        for name in dir(resource):
            if name.startswith("_") or name in {
                "with_raw_response",
                "with_streaming_response",
            }:
                continue
            value = getattr(resource, name)
            if isinstance(value, AsyncAPIResource):
                walk(value, f"{prefix}{name}.")
            elif prefix and inspect.iscoroutinefunction(value):
                found.add(f"{prefix}{name}")

    walk(client, "")
    return found


class Calls:
    """Runs SDK calls and remembers which methods were exercised."""

    def __init__(self) -> None:
        """Start empty."""
        self.names: set[str] = set()

    async def __call__(self, name: str, call: Awaitable[Any]) -> Any:  # noqa: ANN401 -- SDK models
        """Await one SDK call named name."""
        self.names.add(name)
        return await call


def populated(model: Any, *fields: str) -> None:  # noqa: ANN401 -- any SDK model
    """Assert the typed fields are parsed (not None)."""
    missing = [field for field in fields if getattr(model, field) is None]
    assert not missing, f"{type(model).__name__} lost {missing}"


def on_the_wire(model: Any, *keys: str) -> None:  # noqa: ANN401 -- any SDK model
    """Assert documented keys the SDK type does not declare are kept (as extras)."""
    extras = model.model_extra or {}
    missing = [key for key in keys if key not in extras]
    assert not missing, f"{type(model).__name__} dropped {missing}"


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


def test_sdk_version_is_pinned() -> None:
    """The conformance suite is written against this exact SDK."""
    assert sendblue_api.__version__ == SDK_VERSION


async def test_every_sdk_method_is_covered_or_out_of_scope(
    sdk: AsyncSendblueAPI,
) -> None:
    """No SDK method is silently skipped."""
    covered = {name for names in AREAS.values() for name in names}
    assert not covered & set(OUT_OF_SCOPE)
    assert covered | set(OUT_OF_SCOPE) == sdk_methods(sdk)
    assert all(reason for reason in OUT_OF_SCOPE.values())


async def test_sdk_messages(
    sdk: AsyncSendblueAPI, sendblue_simulator: Simulator
) -> None:
    """Send, status, list, retrieve, lookup, carousel, typing, media objects."""
    call = Calls()
    sent = await call(
        "messages.send",
        sdk.messages.send(
            number=CONTACT,
            from_number=LINE_1,
            content="Hello",
            send_style="invisible",
            status_callback="https://example.com/cb",
        ),
    )
    populated(sent, "content", "message_handle", "status", "from_number", "number")
    populated(
        sent, "is_outbound", "media_url", "send_style", "message_type", "date_updated"
    )
    assert sent.status == "QUEUED"
    on_the_wire(
        sent,
        "accountEmail",
        "date_sent",
        "to_number",
        "plan",
        "participants",
        "opted_out",
    )
    await sendblue_simulator.control.drain()
    status = await call(
        "messages.get_status", sdk.messages.get_status(handle=sent.message_handle)
    )
    populated(status, "message_handle", "status", "content", "from_number", "number")
    assert status.status == "DELIVERED"
    sendblue_simulator.control.inject_inbound(from_number=CONTACT, content="Hi back")
    page = await call(
        "messages.list",
        sdk.messages.list(
            limit=10,
            order_by="createdAt",
            order_direction="desc",
            is_outbound="false",
            sendblue_number=LINE_1,
            created_at_gte=datetime(2025, 1, 1, tzinfo=UTC),
        ),
    )
    populated(page, "status", "data", "pagination")
    populated(page.pagination, "has_more", "limit", "offset", "total")
    assert page.pagination.total == 1
    record = page.data[0]
    populated(
        record,
        "account_email",
        "content",
        "date_sent",
        "date_updated",
        "from_number",
        "group_id",
        "is_outbound",
        "media_url",
        "message_handle",
        "message_type",
        "number",
        "opted_out",
        "participants",
        "plan",
        "send_style",
        "sendblue_number",
        "service",
        "status",
        "to_number",
    )
    assert record.account_email == "demo@example.com"
    assert record.status == "RECEIVED"
    retrieved = await call(
        "messages.retrieve", sdk.messages.retrieve(sent.message_handle)
    )
    populated(retrieved, "status", "data")
    populated(
        retrieved.data,
        "account_email",
        "message_handle",
        "status",
        "service",
        "was_downgraded",
    )
    lookup = await call(
        "lookups.lookup_number", sdk.lookups.lookup_number(number=CONTACT)
    )
    assert (lookup.number, lookup.service) == (CONTACT, "iMessage")
    carousel = await call(
        "send_carousel.send",
        sdk.send_carousel.send(
            from_number=LINE_1,
            number=CONTACT,
            media_urls=[
                "https://cdn.example.com/1.jpg",
                "https://cdn.example.com/2.jpg",
            ],
        ),
    )
    populated(
        carousel,
        "account_email",
        "from_number",
        "is_outbound",
        "media_url",
        "message_handle",
        "number",
        "status",
    )
    typing = await call(
        "typing_indicators.send",
        sdk.typing_indicators.send(from_number=LINE_1, number=CONTACT, state="start"),
    )
    populated(typing, "number", "status")
    media = await call(
        "media_objects.upload",
        sdk.media_objects.upload(media_url="https://cdn.example.com/a.png"),
    )
    populated(media, "media_object_id", "message", "status")
    assert call.names == set(AREAS["messages"])


async def test_sdk_groups(sdk: AsyncSendblueAPI) -> None:
    """Group send (auto-create), modify and the v2 group endpoints."""
    call = Calls()
    sent = await call(
        "groups.send_message",
        sdk.groups.send_message(
            content="Hi all", from_number=LINE_1, numbers=[CONTACT, OTHER]
        ),
    )
    populated(
        sent, "message_handle", "status", "content", "from_number", "message_type"
    )
    on_the_wire(sent, "group_id", "accountEmail", "to_number")
    group_id = sent.model_extra["group_id"]
    assert sent.number == [CONTACT, OTHER]  # documented wire shape; the SDK types a str
    modified = await call(
        "groups.modify",
        sdk.groups.modify(
            group_id=group_id, modify_type="add_recipient", number="+15550000006"
        ),
    )
    populated(modified, "group_id", "modify_type", "number", "status")
    group = await call("v2.groups.retrieve", sdk.v2.groups.retrieve(group_id))
    populated(
        group.data,
        "created_at",
        "group_id",
        "participant_numbers",
        "participants",
        "updated_at",
        "worker_group_id",
        "latest_message_id",
    )
    populated(group.data.participants[0], "handle", "phone", "type", "participant_id")
    assert group.data.participant_numbers == [CONTACT, OTHER, "+15550000006"]
    renamed = await call(
        "v2.groups.rename",
        sdk.v2.groups.rename(group_id, group_name="Team", from_number=LINE_1),
    )
    assert (renamed.status, renamed.data.group_name, renamed.data.from_number) == (
        "OK",
        "Team",
        LINE_1,
    )
    cleared = await call(
        "v2.groups.set_photo",
        sdk.v2.groups.set_photo(group_id, photo_url="https://cdn.example.com/g.jpg"),
    )
    populated(cleared.data, "group_id", "group_photo")
    populated(cleared.data.group_photo, "photo_guid", "url")
    assert call.names == set(AREAS["groups"])


async def test_sdk_contacts(sdk: AsyncSendblueAPI) -> None:
    """Contacts CRUD, count, opt-out, verify and bulk."""
    call = Calls()
    created = await call(
        "contacts.create",
        sdk.contacts.create(
            number=CONTACT,
            body_first_name_1="Ada",
            body_last_name_2="Lovelace",
            tags=["vip"],
            custom_variables={"plan": "gold"},
            body_sendblue_number_1=LINE_1,
        ),
    )
    populated(created, "status", "contact")
    populated(
        created.contact,
        "contact_id",
        "created_at",
        "custom_variables",
        "first_name",
        "last_name",
        "opt_out",
        "phone",
        "sendblue_number",
        "tags",
        "verified",
    )
    assert created.contact.last_name == "Lovelace"
    got = await call("contacts.retrieve", sdk.contacts.retrieve(CONTACT))
    assert got.contact.contact_id == created.contact.contact_id
    updated = await call(
        "contacts.update",
        sdk.contacts.update(
            CONTACT, body_company_name_2="AE", custom_variables={"x": "1"}
        ),
    )
    assert updated.contact.company_name == "AE"
    assert updated.contact.custom_variables == {"plan": "gold", "x": "1"}
    bulk = await call(
        "contacts.bulk.create",
        sdk.contacts.bulk.create(
            contacts=[{"phone": OTHER, "first_name": "Bo"}, {"phone": "+15550000006"}]
        ),
    )
    assert [c.phone for c in bulk.contacts] == [OTHER, "+15550000006"]
    listed = await call(
        "contacts.list",
        sdk.contacts.list(limit=10, order_direction="asc", order_by="phone"),
    )
    assert [c.phone for c in listed] == [CONTACT, OTHER, "+15550000006"]
    count = await call("contacts.count", sdk.contacts.count())
    assert count.count == 3
    opted = await call(
        "contacts.opt_out", sdk.contacts.opt_out(number=OTHER, opted_out=True)
    )
    assert (opted.number, opted.opted_out, opted.status) == (OTHER, True, "OK")
    verified = await call("contacts.verify", sdk.contacts.verify(number=OTHER))
    assert verified.status == "OK"
    deleted = await call("contacts.delete", sdk.contacts.delete(CONTACT))
    assert deleted.status == "OK"
    gone = await call(
        "contacts.bulk.delete",
        sdk.contacts.bulk.delete(contact_ids=[OTHER, "+15550000006"]),
    )
    assert (gone.status, gone.amount) == ("OK", 2)
    assert call.names == set(AREAS["contacts"])


async def test_sdk_webhooks(
    sdk: AsyncSendblueAPI, sendblue_simulator: Simulator
) -> None:
    """Create (with secret and line filter), list, update (replace), delete."""
    call = Calls()
    created = await call(
        "webhooks.create",
        sdk.webhooks.create(
            webhooks=[
                "https://example.com/a",
                {
                    "url": "https://example.com/b",
                    "secret": "s",
                    "sendblue_numbers": [LINE_2],
                },
            ],
            type="receive",
            global_secret="g",  # noqa: S106 -- a test value
        ),
    )
    populated(created, "status", "message", "webhooks")
    assert created.webhooks.global_secret == "g"
    listed = await call("webhooks.list", sdk.webhooks.list())
    receive = listed.webhooks.receive
    assert receive[0] == "https://example.com/a"
    assert (receive[1].url, receive[1].secret, receive[1].sendblue_numbers) == (
        "https://example.com/b",
        "s",
        [LINE_2],
    )
    updated = await call(
        "webhooks.update",
        sdk.webhooks.update(
            webhooks={
                "outbound": ["https://example.com/o"],
                "receive": ["https://example.com/a"],
            }
        ),
    )
    assert updated.webhooks.outbound == ["https://example.com/o"]
    deleted = await call(
        "webhooks.delete",
        sdk.webhooks.delete(webhooks=["https://example.com/a"], type="receive"),
    )
    populated(deleted, "status", "message")
    assert sendblue_simulator.control.webhooks()["receive"] == []
    assert call.names == set(AREAS["webhooks"])


async def test_sdk_lines_and_seats(sdk: AsyncSendblueAPI) -> None:
    """Line state, usage, contact status, call forwarding and seats."""
    call = Calls()
    state = await call("lines.get_state", sdk.lines.get_state())
    populated(state, "data", "snapshot_at", "status")
    populated(
        state.data[0],
        "assignment",
        "sendblue_number",
        "status",
        "worker_id",
        "status_changed_at",
    )
    usage = await call("lines.get_usage", sdk.lines.get_usage())
    populated(usage, "enabled", "lines", "status")
    populated(
        usage.lines[0],
        "daily",
        "hourly",
        "phone",
        "sampled_at",
        "state",
        "new_contact_lookback_days",
    )
    populated(usage.lines[0].daily, "limit", "remaining", "used", "resets_at")
    contact = await call(
        "lines.get_contact_status",
        sdk.lines.get_contact_status(number=CONTACT, sendblue_number=LINE_1),
    )
    populated(
        contact,
        "classification",
        "known_contact",
        "new_contact_lookback_days",
        "number",
        "sampled_at",
        "sendblue_number",
        "status",
    )
    forwarding = await call(
        "lines.call_forwarding.retrieve", sdk.lines.call_forwarding.retrieve(LINE_1)
    )
    assert (forwarding.sendblue_number, forwarding.forwarding_number) == (LINE_1, None)
    updated = await call(
        "lines.call_forwarding.update",
        sdk.lines.call_forwarding.update(LINE_1, forwarding_number="+14155550199"),
    )
    assert updated.forwarding_number == "+14155550199"
    deleted = await call(
        "lines.call_forwarding.delete", sdk.lines.call_forwarding.delete(LINE_1)
    )
    assert deleted.forwarding_number is None
    seats = await call("v2.seats.list", sdk.v2.seats.list(limit=5))
    populated(
        seats[0], "account", "created_at", "email", "first_name", "last_name", "seat_id"
    )
    count = await call("v2.seats.count", sdk.v2.seats.count())
    assert count.count == 1
    seat = await call("v2.seats.retrieve", sdk.v2.seats.retrieve(seats[0].seat_id))
    populated(seat, "status", "seat")
    assert seat.seat.email == "agent@example.com"
    assert call.names == set(AREAS["lines"])


async def test_sdk_error_mapping(
    sdk: AsyncSendblueAPI, sendblue_simulator: Simulator
) -> None:
    """The simulator's statuses map onto the SDK's exception classes."""
    with pytest.raises(
        sendblue_api.BadRequestError, match="from_number is not registered"
    ):
        await sdk.messages.send(number=CONTACT, from_number="+19998887777", content="x")
    with pytest.raises(sendblue_api.NotFoundError):
        await sdk.messages.retrieve("unknown")
    await sdk.contacts.create(number=CONTACT)
    with pytest.raises(sendblue_api.ConflictError):
        await sdk.contacts.create(number=CONTACT)
    sendblue_simulator.control.add_fault("rate_limit", count=1, retry_after=3)
    with pytest.raises(sendblue_api.RateLimitError) as err:
        await sdk.lines.get_state()
    assert err.value.response.headers["retry-after"] == "3"
    sendblue_simulator.control.add_fault("unavailable", count=1)
    with pytest.raises(sendblue_api.InternalServerError):
        await sdk.lines.get_state()
    wrong = sdk.with_options(api_secret="wrong")  # noqa: S106 -- a test value
    with pytest.raises(sendblue_api.AuthenticationError):
        await wrong.lines.get_state()


async def test_sdk_path_params_with_literal_plus(
    sdk: AsyncSendblueAPI, sendblue_simulator: Simulator
) -> None:
    """The Python SDK leaves `+` literal in paths; the simulator decodes it."""
    await sdk.contacts.create(number=CONTACT)
    await sdk.contacts.retrieve(CONTACT)
    paths = [entry["raw_path"] for entry in sendblue_simulator.control.requests()]
    assert paths[-1] == f"/api/v2/contacts/{CONTACT}"
