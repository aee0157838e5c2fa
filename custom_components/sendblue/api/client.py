"""Async client for the Sendblue API: one keyword-only method per endpoint.

Transport (auth, errors, retries, pacing) lives in transport.py, whose docstring states
the retry rule and what a failed send means for sending it again.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self, Unpack, overload
from urllib.parse import quote

from aiohttp import ClientSession, FormData

from . import validation as check
from .events import DEFAULT_READ_TIMEOUT, EventStream
from .exceptions import (
    SendblueInputError,
    SendblueInvalidResponseError,
)
from .models import (
    Account,
    Contact,
    ContactOptOut,
    ContactSharingState,
    EventType,
    Group,
    GroupModification,
    LineProvisionPreview,
    LineProvisionResult,
    LineRequest,
    LinesState,
    LinesUsage,
    MarkReadResult,
    MediaObject,
    Message,
    MessageFilters,
    MessagesPage,
    MessageStatus,
    MessageType,
    ModifyType,
    NewContact,
    Reaction,
    ReactionResult,
    SendStyle,
    Service,
    ServiceEvaluation,
    TypingIndicatorResult,
    TypingState,
    UploadedFile,
    WebhookConfiguration,
    Webhooks,
    WebhookType,
)
from .pacing import LinePacer
from .transport import DEFAULT_BASE_URL, VERSION, Transport, require_object

__all__ = ["DEFAULT_BASE_URL", "VERSION", "SendblueClient"]


def _fields(**values: object) -> dict[str, Any]:
    """Build a JSON body from the arguments that were given."""
    return {key: value for key, value in values.items() if value is not None}


def _path(template: str, **parts: str) -> str:
    """Fill a path template, percent-encoding each part (also "+", "/", "?", "#")."""
    return template.format(
        **{
            name: quote(check.required(value, name), safe="")
            for name, value in parts.items()
        }
    )


def _inner(body: object, key: str) -> Mapping[str, Any]:
    """Return the object under key of an envelope, or the object itself."""
    mapping = require_object(body)
    inner = mapping.get(key)
    return inner if isinstance(inner, Mapping) else mapping


def _read_upload(path: Path) -> bytes:
    """Read a file to upload (runs in a worker thread)."""
    check.upload_size(path.stat().st_size, "path")
    return path.read_bytes()


def _webhook_wire(hook: str | WebhookConfiguration) -> str | dict[str, Any]:
    """Render a webhook: a bare URL when it has no secret or line filter."""
    if isinstance(hook, str):
        return check.url(hook, "webhooks")
    check.url(hook.url, "webhooks")
    if hook.secret is None and not hook.sendblue_numbers:
        return hook.url
    return _fields(
        url=hook.url,
        secret=hook.secret,
        sendblue_numbers=list(hook.sendblue_numbers) or None,
    )


def _message_fields(
    content: str | None,
    media_url: str | None,
    send_style: SendStyle | str | None,
    status_callback: str | None,
    reply_to: str | None,
) -> dict[str, Any]:
    """Validate and render the fields a 1:1 and a group message share."""
    check.message_body(content, media_url)
    return _fields(
        content=content or None,
        media_url=media_url,
        send_style=check.optional_choice(send_style, SendStyle, "send_style"),
        status_callback=check.optional_url(status_callback, "status_callback"),
        reply_to=None
        if reply_to is None
        else {"message_handle": check.required(reply_to, "reply_to")},
    )


def _contact_fields(
    *,
    tags: Sequence[str] | None,
    custom_variables: Mapping[str, str] | None,
    sendblue_number: str | None = None,
    assigned_to_email: str | None = None,
    **values: object,
) -> dict[str, Any]:
    """Validate and render the fields of a contact."""
    return _fields(
        **values,
        sendblue_number=check.optional_phone(sendblue_number, "sendblue_number"),
        assigned_to_email=check.email(assigned_to_email, "assigned_to_email"),
        tags=None if tags is None else list(tags),
        custom_variables=None if custom_variables is None else dict(custom_variables),
    )


class _OnTransport[T]:
    """A client attribute kept on its transport, so that changing it takes effect."""

    def __set_name__(self, owner: type, name: str) -> None:
        """Read and write the transport attribute of the same name."""
        self._name = name.removeprefix("_")

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: SendblueClient, owner: type) -> T: ...

    def __get__(self, instance: SendblueClient | None, owner: type) -> Self | T:
        """Return the transport's value."""
        if instance is None:
            return self
        value: T = getattr(instance._transport, self._name)  # noqa: SLF001
        return value

    def __set__(self, instance: SendblueClient, value: T) -> None:
        """Set the transport's value."""
        setattr(instance._transport, self._name, value)  # noqa: SLF001


class SendblueClient:
    """Client for the Sendblue API; pass in an aiohttp session or let it make one."""

    session = _OnTransport[ClientSession | None]()
    base_url = _OnTransport[str]()
    request_timeout = _OnTransport[float]()
    max_retries = _OnTransport[int]()
    retry_backoff = _OnTransport[float]()
    pace_sends = _OnTransport[bool]()
    _pacer = _OnTransport[LinePacer]()
    # The wait between retries; tests swap it for one that does not wait.
    _sleep = _OnTransport[Callable[[float], Awaitable[None]]]()

    def __init__(
        self,
        api_key_id: str,
        api_secret_key: str,
        *,
        session: ClientSession | None = None,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = 10.0,
        max_retries: int = 2,
        pace_sends: bool = True,
        retry_backoff: float = 0.5,
    ) -> None:
        """Keep the credentials and settings on the transport the client owns."""
        self._transport = Transport(
            api_key_id,
            api_secret_key,
            session=session,
            base_url=base_url,
            request_timeout=request_timeout,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            pace_sends=pace_sends,
        )

    def __repr__(self) -> str:
        """Show the settings, never the credentials."""
        return f"SendblueClient({self._transport!r})"

    @property
    def api_key_id(self) -> str:
        """Return the API key id."""
        return self._transport.api_key_id

    @property
    def api_secret_key(self) -> str:
        """Return the API secret key."""
        return self._transport.api_secret_key

    async def _call[T](
        self,
        parse: Callable[[Mapping[str, Any]], T],
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        key: str | None = None,
        paced: str | None = None,
    ) -> T:
        """Make a request and parse the object it answers (the one under key if any)."""
        body = await self._transport.request(
            method, path, params=params, json=json, paced=paced
        )
        return parse(_inner(body, key) if key else require_object(body))

    # -- account and lines ----------------------------------------------------

    async def get_account(self) -> Account:
        """Return the account the API key belongs to."""
        return await self._call(Account.from_dict, "GET", "/account")

    async def list_lines(self) -> list[str]:
        """Return the phone numbers of the account's lines."""
        numbers = require_object(
            await self._transport.request("GET", "/api/lines")
        ).get("numbers")
        if not isinstance(numbers, list):
            msg = "Sendblue sent no list of numbers"
            raise SendblueInvalidResponseError(msg)
        return [number for number in numbers if isinstance(number, str) and number]

    async def get_lines_state(self) -> LinesState:
        """Return the health of every line."""
        return await self._call(LinesState.from_dict, "GET", "/api/v2/lines/state")

    async def get_lines_usage(self) -> LinesUsage:
        """Return the sending capacity of every line."""
        return await self._call(LinesUsage.from_dict, "GET", "/api/v2/lines/usage")

    # -- messages -------------------------------------------------------------

    async def send_message(
        self,
        *,
        number: str,
        from_number: str | None = None,
        content: str | None = None,
        media_url: str | None = None,
        send_style: SendStyle | str | None = None,
        status_callback: str | None = None,
        reply_to: str | None = None,
        reply_to_part_index: int | None = None,
    ) -> Message:
        """Send a message to one recipient.

        Args:
            number: Recipient, E.164 or an iMessage email.
            from_number: Sending line; None lets Sendblue pick one where allowed.
            content: Text; content or media_url is required.
            media_url: Public URL of a file to attach.
            send_style: iMessage expressive style.
            status_callback: URL that receives status updates of this message.
            reply_to: Handle of the message to reply to inline.
            reply_to_part_index: Part of that message, for multi-part messages.

        Returns:
            The queued message, with its message_handle.

        Raises:
            SendblueInputError: An argument is invalid; nothing was sent.

        """
        check.phone_or_email(number, "number")
        check.optional_phone(from_number, "from_number")
        check.integer(reply_to_part_index, "reply_to_part_index")
        if reply_to_part_index is not None and reply_to is None:
            msg = "reply_to_part_index needs reply_to"
            raise SendblueInputError(msg, field="reply_to_part_index")
        fields = _message_fields(
            content, media_url, send_style, status_callback, reply_to
        )
        if reply_to_part_index is not None:
            fields["reply_to"]["part_index"] = reply_to_part_index
        json = _fields(number=number, from_number=from_number, **fields)
        return await self._call(
            Message.from_dict,
            "POST",
            "/api/send-message",
            json=json,
            paced=from_number or "",
        )

    async def send_group_message(
        self,
        *,
        from_number: str,
        numbers: Sequence[str] | None = None,
        group_id: str | None = None,
        content: str | None = None,
        media_url: str | None = None,
        send_style: SendStyle | str | None = None,
        status_callback: str | None = None,
        reply_to: str | None = None,
    ) -> Message:
        """Send a message to a group, given by its members or by its group_id.

        Returns:
            The queued message; its group_id names the group from then on.

        """
        check.phone(from_number, "from_number")
        if (numbers is None) == (group_id is None):
            msg = "give either numbers or group_id"
            raise SendblueInputError(msg, field="numbers")
        json = _fields(
            from_number=from_number,
            numbers=None if numbers is None else check.phones(numbers, "numbers"),
            group_id=None if group_id is None else check.required(group_id, "group_id"),
            **_message_fields(
                content, media_url, send_style, status_callback, reply_to
            ),
        )
        path = "/api/send-group-message"
        return await self._call(
            Message.from_dict, "POST", path, json=json, paced=from_number
        )

    async def create_group(
        self, *, from_number: str, numbers: Sequence[str], group_name: str | None = None
    ) -> Group:
        """Create a group chat."""
        json = _fields(
            from_number=check.phone(from_number, "from_number"),
            numbers=check.phones(numbers, "numbers"),
            group_name=group_name,
        )
        return await self._call(Group.from_dict, "POST", "/api/create-group", json=json)

    async def modify_group(
        self,
        *,
        group_id: str,
        modify_type: ModifyType | str,
        number: str,
        from_number: str | None = None,
    ) -> GroupModification:
        """Add a member to or remove one from a group."""
        json = _fields(
            group_id=check.required(group_id, "group_id"),
            modify_type=check.choice(modify_type, ModifyType, "modify_type"),
            number=check.phone_or_email(number, "number"),
            from_number=check.optional_phone(from_number, "from_number"),
        )
        parse = GroupModification.from_dict
        return await self._call(parse, "POST", "/api/modify-group", json=json)

    async def get_message_status(self, *, message_handle: str) -> Message:
        """Return a sent message with its current status."""
        params = {"handle": check.required(message_handle, "message_handle")}
        return await self._call(Message.from_dict, "GET", "/api/status", params=params)

    async def evaluate_service(self, *, number: str) -> ServiceEvaluation:
        """Return whether a number or email is reachable over iMessage or SMS."""
        params = {"number": check.phone_or_email(number, "number")}
        parse = ServiceEvaluation.from_dict
        return await self._call(parse, "GET", "/api/evaluate-service", params=params)

    async def list_messages(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **filters: Unpack[MessageFilters],
    ) -> MessagesPage:
        """Return one page of messages, newest first unless ordered otherwise.

        Args:
            limit: Page size, 1 to 100.
            offset: Number of messages to skip.
            **filters: order_by, order_direction, is_outbound, message_type, status,
                service, number, from_number, to_number, sendblue_number, group_id,
                account_email and the created/sent/updated_at_gte/lte bounds.

        """
        params: dict[str, Any] = {
            **filters,
            "limit": check.integer(limit, "limit", minimum=1, maximum=100),
            "offset": check.integer(offset, "offset"),
            "order_direction": check.direction(filters.get("order_direction")),
        }
        for name, enum in (
            ("message_type", MessageType),
            ("status", MessageStatus),
            ("service", Service),
        ):
            params[name] = check.optional_choice(params.get(name), enum, name)
        path = "/api/v2/messages"
        return await self._call(MessagesPage.from_dict, "GET", path, params=params)

    async def iter_message_pages(
        self, *, page_size: int = 100, **filters: Unpack[MessageFilters]
    ) -> AsyncGenerator[MessagesPage]:
        """Yield pages of messages until Sendblue has no more."""
        check.integer(page_size, "page_size", minimum=1, maximum=100)
        offset = 0
        while True:
            page = await self.list_messages(limit=page_size, offset=offset, **filters)
            yield page
            if not page.has_more or not page.messages:
                return
            offset += len(page.messages)

    async def get_message(self, *, message_id: str) -> Message:
        """Return one message by its id (its message_handle)."""
        path = _path("/api/v2/messages/{message_id}", message_id=message_id)
        return await self._call(Message.from_dict, "GET", path, key="data")

    async def delete_message(self, *, message_handle: str) -> None:
        """Delete a message from Sendblue's records (not from the recipient's phone)."""
        path = _path("/api/message/{message_handle}", message_handle=message_handle)
        await self._transport.request("DELETE", path)

    async def send_reaction(
        self,
        *,
        from_number: str,
        message_handle: str,
        reaction: Reaction | str,
        part_index: int | None = None,
    ) -> ReactionResult:
        """Send a tapback on a message (iMessage only)."""
        json = _fields(
            from_number=check.phone(from_number, "from_number"),
            message_handle=check.required(message_handle, "message_handle"),
            reaction=check.choice(reaction, Reaction, "reaction"),
            part_index=check.integer(part_index, "part_index"),
        )
        body = await self._transport.request(
            "POST", "/api/send-reaction", json=json, paced=from_number
        )
        return ReactionResult.from_dict(self._transport.ok(body))

    async def mark_read(self, *, number: str, from_number: str) -> MarkReadResult:
        """Send a read receipt for a conversation (must be enabled for the account)."""
        json = {
            "number": check.phone(number, "number"),
            "from_number": check.phone(from_number, "from_number"),
        }
        body = await self._transport.request(
            "POST", "/api/mark-read", json=json, paced=from_number
        )
        return MarkReadResult.from_dict(self._transport.ok(body))

    async def send_typing_indicator(
        self,
        *,
        number: str,
        from_number: str,
        state: TypingState | str = TypingState.START,
        max_duration_ms: int | None = None,
    ) -> TypingIndicatorResult:
        """Start or stop the typing bubble in a 1:1 conversation."""
        json = _fields(
            number=check.phone(number, "number"),
            from_number=check.phone(from_number, "from_number"),
            state=check.choice(state, TypingState, "state"),
            max_duration_ms=check.integer(
                max_duration_ms, "max_duration_ms", minimum=1, maximum=300_000
            ),
        )
        body = await self._transport.request(
            "POST", "/api/send-typing-indicator", json=json, paced=from_number
        )
        return TypingIndicatorResult.from_dict(self._transport.ok(body))

    # -- media ----------------------------------------------------------------

    async def upload_file(
        self,
        *,
        data: bytes | None = None,
        path: str | os.PathLike[str] | None = None,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> UploadedFile:
        """Upload a file (bytes, or read from path) to Sendblue's media store.

        Returns:
            The upload, whose media_url can be sent with send_message.

        """
        if data is not None and path is not None:
            msg = "give either data or path, not both"
            raise SendblueInputError(msg, field="data")
        if path is not None:
            file = Path(path)
            filename = filename or file.name
            try:
                # Reading a file blocks, so keep it off the event loop.
                data = await asyncio.to_thread(_read_upload, file)
            except OSError as err:
                msg = f"path cannot be read: {err.strerror}"
                raise SendblueInputError(msg, field="path") from err
        if data is None:
            msg = "give either data or path"
            raise SendblueInputError(msg, field="data")
        check.upload_size(len(data), "data")
        name = check.required(filename, "filename")
        mime = content_type or mimetypes.guess_file_type(name)[0]
        payload = data

        def form() -> FormData:
            """Build the multipart body: one field, file."""
            body = FormData()
            body.add_field(
                "file",
                payload,
                filename=name,
                content_type=mime or "application/octet-stream",
            )
            return body

        body = await self._transport.request("POST", "/api/upload-file", data=form)
        return UploadedFile.from_dict(require_object(body))

    async def upload_media_object(self, *, media_url: str) -> MediaObject:
        """Have Sendblue download and re-host a file (for signed or expiring URLs)."""
        json = {"media_url": check.url(media_url, "media_url")}
        path = "/api/upload-media-object"
        return await self._call(MediaObject.from_dict, "POST", path, json=json)

    # -- contacts -------------------------------------------------------------

    async def list_contacts(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
        phone_number: str | None = None,
        contact_id: str | None = None,
        created_at_gte: datetime | str | None = None,
    ) -> list[Contact]:
        """Return contacts of the address book."""
        params = {
            "limit": check.integer(limit, "limit", minimum=1, maximum=1000),
            "offset": check.integer(offset, "offset", maximum=10_000),
            "order_by": order_by,
            "order_direction": check.direction(order_direction),
            "phone_number": phone_number,
            "cid": contact_id,
            "created_at_gte": created_at_gte,
        }
        body = await self._transport.request("GET", "/api/v2/contacts", params=params)
        # The list is a bare array; take an enveloped one too.
        items = body if isinstance(body, list) else require_object(body).get("contacts")
        if not isinstance(items, list):
            msg = "Sendblue sent no list of contacts"
            raise SendblueInvalidResponseError(msg)
        return [Contact.from_dict(item) for item in items if isinstance(item, Mapping)]

    async def count_contacts(self) -> int:
        """Return the number of contacts."""
        body = require_object(
            await self._transport.request("GET", "/api/v2/contacts/count")
        )
        if not isinstance(count := body.get("count"), int) or isinstance(count, bool):
            msg = "Sendblue sent no contact count"
            raise SendblueInvalidResponseError(msg)
        return count

    async def get_contact(self, *, number: str) -> Contact:
        """Return one contact by phone number."""
        path = _path("/api/v2/contacts/{number}", number=check.phone(number, "number"))
        return await self._call(Contact.from_dict, "GET", path, key="contact")

    async def create_contact(  # noqa: PLR0913 - the API's own fields
        self,
        *,
        number: str,
        first_name: str | None = None,
        last_name: str | None = None,
        company_name: str | None = None,
        assigned_to_email: str | None = None,
        sendblue_number: str | None = None,
        tags: Sequence[str] | None = None,
        custom_variables: Mapping[str, str] | None = None,
        update_if_exists: bool | None = None,
    ) -> Contact:
        """Create a contact (or update it, with update_if_exists)."""
        json = _contact_fields(
            number=check.phone(number, "number"),
            first_name=first_name,
            last_name=last_name,
            company_name=company_name,
            assigned_to_email=assigned_to_email,
            sendblue_number=sendblue_number,
            tags=tags,
            custom_variables=custom_variables,
            update_if_exists=update_if_exists,
        )
        path = "/api/v2/contacts"
        return await self._call(
            Contact.from_dict, "POST", path, json=json, key="contact"
        )

    async def create_contacts(self, *, contacts: Sequence[NewContact]) -> list[Contact]:
        """Create many contacts at once."""
        json = {
            "contacts": [
                _contact_fields(
                    phone=check.phone(contact.phone, "contacts"),
                    first_name=contact.first_name,
                    last_name=contact.last_name,
                    company_name=contact.company_name,
                    tags=contact.tags or None,
                    custom_variables=contact.custom_variables or None,
                )
                for contact in check.non_empty(contacts, "contacts")
            ]
        }
        body = await self._transport.request("POST", "/api/v2/contacts/bulk", json=json)
        items = require_object(body).get("contacts")
        if not isinstance(items, list):
            return []
        return [Contact.from_dict(item) for item in items if isinstance(item, Mapping)]

    async def update_contact(  # noqa: PLR0913 - the API's own fields
        self,
        *,
        number: str,
        first_name: str | None = None,
        last_name: str | None = None,
        company_name: str | None = None,
        assigned_to_email: str | None = None,
        sendblue_number: str | None = None,
        tags: Sequence[str] | None = None,
        custom_variables: Mapping[str, str] | None = None,
        opt_out: bool | None = None,
    ) -> Contact:
        """Update a contact; custom_variables are merged, not replaced."""
        path = _path("/api/v2/contacts/{number}", number=check.phone(number, "number"))
        json = _contact_fields(
            first_name=first_name,
            last_name=last_name,
            company_name=company_name,
            assigned_to_email=assigned_to_email,
            sendblue_number=sendblue_number,
            tags=tags,
            custom_variables=custom_variables,
            opt_out=opt_out,
        )
        return await self._call(
            Contact.from_dict, "PUT", path, json=json, key="contact"
        )

    async def delete_contact(self, *, number: str) -> None:
        """Delete one contact."""
        await self._transport.request(
            "DELETE",
            _path("/api/v2/contacts/{number}", number=check.phone(number, "number")),
        )

    async def delete_contacts(self, *, numbers: Sequence[str]) -> int:
        """Delete many contacts by phone number; return how many went."""
        json = {"contact_ids": check.phones(numbers, "numbers")}
        body = await self._transport.request("DELETE", "/api/v2/contacts", json=json)
        amount = body.get("amount") if isinstance(body, Mapping) else None
        if isinstance(amount, int) and not isinstance(amount, bool):
            return amount
        # Without a count, a 2xx means Sendblue took them all.
        return len(numbers)

    async def set_contact_opt_out(
        self, *, number: str, opted_out: bool = True
    ) -> ContactOptOut:
        """Opt a contact out of messages, or back in."""
        json = {"number": check.phone(number, "number"), "opted_out": opted_out}
        path = "/api/v2/contacts/opt-out"
        return await self._call(ContactOptOut.from_dict, "POST", path, json=json)

    # -- webhooks -------------------------------------------------------------

    async def list_webhooks(self) -> Webhooks:
        """Return the account's webhooks."""
        return await self._call(Webhooks.from_dict, "GET", "/api/account/webhooks")

    async def add_webhooks(
        self,
        *,
        webhooks: Sequence[str | WebhookConfiguration],
        webhook_type: WebhookType | str = WebhookType.RECEIVE,
        global_secret: str | None = None,
    ) -> Webhooks:
        """Append webhooks of one type; return all webhooks."""
        json = _fields(
            webhooks=[
                _webhook_wire(hook) for hook in check.non_empty(webhooks, "webhooks")
            ],
            type=check.choice(webhook_type, WebhookType, "webhook_type"),
            globalSecret=global_secret,
        )
        body = await self._transport.request("POST", "/api/account/webhooks", json=json)
        return await self._webhooks_from(body)

    async def delete_webhooks(
        self,
        *,
        urls: Sequence[str],
        webhook_type: WebhookType | str = WebhookType.RECEIVE,
    ) -> None:
        """Remove webhooks of one type by URL."""
        json = {
            "webhooks": [
                check.required(url, "urls") for url in check.non_empty(urls, "urls")
            ],
            "type": check.choice(webhook_type, WebhookType, "webhook_type"),
        }
        await self._transport.request("DELETE", "/api/account/webhooks", json=json)

    async def replace_webhooks(self, *, webhooks: Webhooks) -> Webhooks:
        """Replace ALL webhooks of the account, dropping any not given."""
        wire: dict[str, Any] = {
            check.choice(kind, WebhookType, "webhooks").value: [
                _webhook_wire(hook) for hook in hooks
            ]
            for kind, hooks in webhooks.by_type.items()
        }
        if webhooks.global_secret is not None:
            wire["globalSecret"] = webhooks.global_secret
        json = {"webhooks": wire}
        body = await self._transport.request("PUT", "/api/account/webhooks", json=json)
        return await self._webhooks_from(body)

    async def _webhooks_from(self, body: object) -> Webhooks:
        """Read the webhooks from a change's answer, or fetch them if it has none."""
        if isinstance(body, Mapping) and isinstance(body.get("webhooks"), Mapping):
            return Webhooks.from_dict(body)
        return await self.list_webhooks()

    # -- contact sharing ------------------------------------------------------

    async def get_contact_sharing_state(
        self, *, from_number: str
    ) -> ContactSharingState:
        """Return the name and photo sharing profile of a line."""
        params = {"fromNumber": check.phone(from_number, "from_number")}
        parse = ContactSharingState.from_dict
        path = "/api/v2/contact-sharing/state"
        return await self._call(parse, "GET", path, params=params)

    async def set_contact_sharing_profile(
        self,
        *,
        from_number: str,
        first_name: str,
        last_name: str,
        photo_url: str,
        display_name: str | None = None,
    ) -> ContactSharingState:
        """Create or overwrite the name and photo a line shares."""
        json = _fields(
            fromNumber=check.phone(from_number, "from_number"),
            firstName=check.required(first_name, "first_name"),
            lastName=check.required(last_name, "last_name"),
            photoUrl=check.url(photo_url, "photo_url"),
            displayName=display_name,
        )
        parse = ContactSharingState.from_dict
        path = "/api/v2/contact-sharing/profile"
        return await self._call(parse, "POST", path, json=json)

    # -- line provisioning ----------------------------------------------------

    async def preview_line_provisioning(self) -> LineProvisionPreview:
        """Ask for a quote of a new line; confirm it with its preview_token."""
        parse = LineProvisionPreview.from_dict
        return await self._call(parse, "POST", "/accounts/lines/provision-preview")

    async def confirm_line_provisioning(
        self, *, preview_token: str
    ) -> LineProvisionResult:
        """Buy the line quoted by a preview (charges the card on file)."""
        json = {"preview_token": check.required(preview_token, "preview_token")}
        parse = LineProvisionResult.from_dict
        path = "/accounts/lines/provision-confirm"
        return await self._call(parse, "POST", path, json=json)

    async def request_line(
        self, *, desired_area_code: str | None = None
    ) -> LineRequest:
        """Open a request for a new line, optionally in an area code or ZIP code."""
        json = _fields(
            line_request_type="phone",
            desired_area_code=check.area_code(desired_area_code, "desired_area_code"),
        )
        path = "/accounts/lines/add-line"
        return await self._call(LineRequest.from_dict, "POST", path, json=json)

    async def get_line_request(self, *, request_id: str) -> LineRequest:
        """Return a line request by id."""
        path = _path("/accounts/lines/line-request/{request_id}", request_id=request_id)
        return await self._call(LineRequest.from_dict, "GET", path)

    # -- live events ----------------------------------------------------------

    def stream_events(
        self,
        *,
        types: Sequence[EventType | str] | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        last_event_id: str | None = None,
    ) -> EventStream:
        """Return the account's live event stream, to open with ``async with``.

        Args:
            types: Event types to receive; None for all.
            read_timeout: Seconds without an event or heartbeat after which
                iterating raises SendblueTimeoutError (Sendblue beats every 15 s).
            last_event_id: Sent as Last-Event-ID, for a server that resumes.

        Returns:
            The stream; iterate it for AccountEvent. It ends when Sendblue closes
            it (it rotates at least every 15 minutes); reconnect then.

        """
        if read_timeout <= 0:
            msg = "read_timeout must be more than 0 seconds"
            raise SendblueInputError(msg, field="read_timeout")
        wanted = (
            None
            if types is None
            else ",".join(
                check.choice(kind, EventType, "types")
                for kind in check.non_empty(types, "types")
            )
        )
        return EventStream(
            self._transport,
            params={"types": wanted},
            read_timeout=read_timeout,
            last_event_id=last_event_id,
        )

    # -- lifecycle ------------------------------------------------------------

    async def close(self) -> None:
        """Close the session if the client created it."""
        await self._transport.close()

    async def __aenter__(self) -> Self:
        """Enter the async context."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Leave the async context, closing an own session."""
        await self.close()
