"""Actions of the Sendblue integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

import probatio as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import service
from homeassistant.helpers.selector import MediaSelector
from homeassistant.util import dt as dt_util

from .addresses import from_template_number
from .api import (
    MessageStatus,
    ModifyType,
    NewContact,
    Reaction,
    Service,
    TypingState,
)
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .data import SendblueConfigEntry
from .errors import action_errors, async_name_field, invalid
from .inputs import (
    Inputs,
    check_content,
    given_retry_for,
    one_of,
    resolve_line,
    send_style,
)
from .send import Outgoing, async_media_to_url, async_send

ATTR_TO = "to"
ATTR_MESSAGE = "message"
ATTR_MEDIA_URL = "media_url"
ATTR_MEDIA = "media"
ATTR_SEND_STYLE = "send_style"
ATTR_FROM_NUMBER = "from_number"
ATTR_REPLY_TO = "reply_to"
ATTR_GROUP_ID = "group_id"
ATTR_MEMBERS = "members"
ATTR_NUMBER = "number"
ATTR_NUMBERS = "numbers"
ATTR_MESSAGE_HANDLE = "message_handle"
ATTR_LIMIT = "limit"
ATTR_OFFSET = "offset"
ATTR_CONTACTS = "contacts"
ATTR_SENDBLUE_NUMBER = "sendblue_number"
ATTR_RETRY_FOR = "retry_for"

# The message list's order_by options, as selector keys and as Sendblue spells them.
ORDER_BY = {"created_at": "createdAt", "updated_at": "updatedAt", "sent_at": "sentAt"}
ORDER_DIRECTIONS = ["asc", "desc"]
# Select options are lower case; the client matches Sendblue's values in any case.
MESSAGE_STATUSES = [s.value.lower() for s in MessageStatus if s.name != "UNKNOWN"]
SERVICES = [s.value.lower() for s in Service if s.name != "UNKNOWN"]
GROUP_ACTIONS = {"add": ModifyType.ADD_RECIPIENT, "remove": ModifyType.REMOVE_RECIPIENT}
MAX_TYPING_SECONDS = 300
# A template that renders "+14155550100" comes out as the int 14155550100.
PHONE = vol.All(from_template_number, cv.string)

type Handler = Callable[[ServiceCall, SendblueConfigEntry], Awaitable[ServiceResponse]]

ACTIONS: dict[str, tuple[Handler, vol.Schema, SupportsResponse]] = {}


def action(
    name: str,
    fields: dict[vol.Marker, Any],
    response: SupportsResponse = SupportsResponse.NONE,
) -> Callable[[Handler], Handler]:
    """Declare a handler as the action name, with its fields and response."""
    schema = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, **fields})

    def register(handler: Handler) -> Handler:
        ACTIONS[name] = (handler, schema, response)
        return handler

    return register


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the Sendblue actions."""
    for name, (handler, schema, response) in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_run, handler),
            schema=schema,
            supports_response=response,
        )


async def _async_run(handler: Handler, call: ServiceCall) -> ServiceResponse:
    """Run an action on its entry; errors are translated and name fields by label."""
    entry = _async_get_entry(call)
    try:
        with action_errors(call.hass, entry):
            return await handler(call, entry)
    except ServiceValidationError as err:
        raise await async_name_field(call.hass, err, DOMAIN, call.service) from err


@callback
def _async_get_entry(call: ServiceCall) -> SendblueConfigEntry:
    """Return the entry the call names, or the only loaded one when it names none."""
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    loaded = call.hass.config_entries.async_loaded_entries(DOMAIN)
    if entry_id is None and len(loaded) == 1:
        return loaded[0]
    return service.async_get_config_entry(call.hass, DOMAIN, entry_id)


def _inputs(call: ServiceCall) -> Inputs:
    """Return the input rules, reading national numbers in the home's country."""
    return Inputs(call.hass.config.country)


# -- validation ----------------------------------------------------------------


def _line(
    call: ServiceCall, entry: SendblueConfigEntry, handle: str | None = None
) -> str:
    """Return the line asked for, else the one handle went through, else the default."""
    line = call.data.get(ATTR_FROM_NUMBER)
    if not line and handle:
        seen = entry.runtime_data.sent_lines.line_for(handle)
        # Sendblue only replies and reacts through the line that has the chat.
        line = seen if seen in entry.runtime_data.coordinator.data.lines else None
    return resolve_line(entry, line)


def _optional_line(call: ServiceCall, entry: SendblueConfigEntry) -> str | None:
    """Return the line asked for, or None to let Sendblue choose."""
    line = call.data.get(ATTR_FROM_NUMBER)
    return resolve_line(entry, line) if line else None


async def _async_content(
    call: ServiceCall, entry: SendblueConfigEntry
) -> dict[str, Any]:
    """Validate the message fields, then upload media; return the send arguments."""
    one_of(call.data, ATTR_MEDIA_URL, ATTR_MEDIA, required=False)
    content = call.data.get(ATTR_MESSAGE) or None
    style = send_style(call.data.get(ATTR_SEND_STYLE))
    check_content(content, call.data.get(ATTR_MEDIA_URL) or _media_id(call))
    return {
        "content": content,
        "media_url": await _async_media_url(call, entry),
        "send_style": style,
        "reply_to": call.data.get(ATTR_REPLY_TO) or None,
    }


def _media_id(call: ServiceCall) -> str | None:
    """Return the media-source id of the media field, if any."""
    media = call.data.get(ATTR_MEDIA)
    return str(media["media_content_id"]) if media else None


async def _async_media_url(call: ServiceCall, entry: SendblueConfigEntry) -> str | None:
    """Return the media URL given, or upload the media item and return its URL."""
    if media_id := _media_id(call):
        return await async_media_to_url(call.hass, entry, media_id)
    return call.data.get(ATTR_MEDIA_URL) or None


def _given(call: ServiceCall, *names: str) -> dict[str, Any]:
    """Return the fields of a call that were given, to pass on as they are."""
    return {name: call.data[name] for name in names if name in call.data}


def _times(call: ServiceCall, *names: str) -> dict[str, datetime]:
    """Return the given times in UTC, reading naive ones as local time."""
    return {name: dt_util.as_utc(value) for name, value in _given(call, *names).items()}


# -- messages ------------------------------------------------------------------

MEDIA_FIELD = MediaSelector({"accept": ["*/*"]})
CONTENT_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_MESSAGE): cv.string,
    vol.Optional(ATTR_MEDIA_URL): cv.url,
    vol.Optional(ATTR_MEDIA): MEDIA_FIELD,
    vol.Optional(ATTR_SEND_STYLE): cv.string,
    vol.Optional(ATTR_FROM_NUMBER): PHONE,
    vol.Optional(ATTR_REPLY_TO): cv.string,
    # Checked by the input rules, which say what is wrong in the user's words.
    vol.Optional(ATTR_RETRY_FOR): cv.match_all,
}
RECIPIENTS = vol.All(cv.ensure_list_csv, [PHONE])


@action(
    "send_message",
    {vol.Required(ATTR_TO): RECIPIENTS, **CONTENT_FIELDS},
    SupportsResponse.OPTIONAL,
)
async def _async_send_message(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Send a message to each recipient at once."""
    recipients = _inputs(call).addresses(ATTR_TO, call.data[ATTR_TO])
    line = _line(call, entry, call.data.get(ATTR_REPLY_TO))
    keep = given_retry_for(call.data, ATTR_RETRY_FOR)
    content = await _async_content(call, entry)
    outgoing = Outgoing(recipients=recipients, **content)
    results = await async_send(call.hass, entry, outgoing, line=line, retry_for=keep)
    return {"messages": list(results)}


@action(
    "send_group_message",
    {
        vol.Optional(ATTR_TO): RECIPIENTS,
        vol.Optional(ATTR_GROUP_ID): cv.string,
        **CONTENT_FIELDS,
    },
    SupportsResponse.OPTIONAL,
)
async def _async_send_group_message(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Send one message to a group chat, given by its members or its id."""
    one_of(call.data, ATTR_TO, ATTR_GROUP_ID, required=True)
    to = call.data.get(ATTR_TO)
    numbers = _inputs(call).phones(ATTR_TO, to) if to else None
    line = _line(call, entry, call.data.get(ATTR_REPLY_TO))
    keep = given_retry_for(call.data, ATTR_RETRY_FOR)
    content = await _async_content(call, entry)
    if numbers is None:
        outgoing = Outgoing(groups=[call.data[ATTR_GROUP_ID]], **content)
    else:
        # Members name the group the first time; the answer has its id.
        outgoing = Outgoing(members=numbers, **content)
    results = await async_send(call.hass, entry, outgoing, line=line, retry_for=keep)
    return dict(results[0])


@action(
    "create_group",
    {
        vol.Required(ATTR_MEMBERS): RECIPIENTS,
        vol.Optional("name"): cv.string,
        vol.Optional(ATTR_FROM_NUMBER): PHONE,
    },
    SupportsResponse.OPTIONAL,
)
async def _async_create_group(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Create a group chat."""
    members = _inputs(call).phones(ATTR_MEMBERS, call.data[ATTR_MEMBERS])
    group = await entry.runtime_data.client.create_group(
        from_number=_line(call, entry),
        numbers=members,
        group_name=call.data.get("name") or None,
    )
    return group.to_dict()


@action(
    "modify_group",
    {
        vol.Required(ATTR_GROUP_ID): cv.string,
        vol.Required(ATTR_NUMBER): PHONE,
        vol.Required("action"): vol.In(list(GROUP_ACTIONS)),
        vol.Optional(ATTR_FROM_NUMBER): PHONE,
    },
    SupportsResponse.OPTIONAL,
)
async def _async_modify_group(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Add a member to a group chat or remove one."""
    number = _inputs(call).address(ATTR_NUMBER, call.data[ATTR_NUMBER])
    result = await entry.runtime_data.client.modify_group(
        group_id=call.data[ATTR_GROUP_ID],
        modify_type=GROUP_ACTIONS[call.data["action"]],
        number=number,
        from_number=_optional_line(call, entry),
    )
    return result.to_dict()


@action(
    "send_reaction",
    {
        vol.Required(ATTR_MESSAGE_HANDLE): cv.string,
        vol.Required("reaction"): cv.string,
        vol.Optional(ATTR_FROM_NUMBER): PHONE,
        vol.Optional("part_index"): vol.All(vol.Coerce(int), vol.Range(min=0)),
    },
    SupportsResponse.OPTIONAL,
)
async def _async_send_reaction(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Send a tapback on a message, from the line that has the chat."""
    handle = call.data[ATTR_MESSAGE_HANDLE]
    try:
        reaction = Reaction(call.data["reaction"])
    except ValueError:
        raise invalid("invalid_reaction", reaction=call.data["reaction"]) from None
    result = await entry.runtime_data.client.send_reaction(
        from_number=_line(call, entry, handle),
        message_handle=handle,
        reaction=reaction,
        part_index=call.data.get("part_index"),
    )
    return result.to_dict()


NUMBER_AND_LINE: dict[vol.Marker, Any] = {
    vol.Required(ATTR_NUMBER): PHONE,
    vol.Optional(ATTR_FROM_NUMBER): PHONE,
}


@action("mark_read", NUMBER_AND_LINE, SupportsResponse.OPTIONAL)
async def _async_mark_read(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Send a read receipt for a conversation."""
    number = _inputs(call).phone(ATTR_NUMBER, call.data[ATTR_NUMBER])
    result = await entry.runtime_data.client.mark_read(
        number=number, from_number=_line(call, entry)
    )
    return result.to_dict()


@action(
    "send_typing_indicator",
    {
        **NUMBER_AND_LINE,
        vol.Optional("state", default=TypingState.START.value): vol.In(
            [state.value for state in TypingState]
        ),
        vol.Optional("duration"): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=MAX_TYPING_SECONDS)
        ),
    },
    SupportsResponse.OPTIONAL,
)
async def _async_send_typing_indicator(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Start or stop the typing bubble in a conversation."""
    number = _inputs(call).phone(ATTR_NUMBER, call.data[ATTR_NUMBER])
    duration = call.data.get("duration")
    result = await entry.runtime_data.client.send_typing_indicator(
        number=number,
        from_number=_line(call, entry),
        state=TypingState(call.data["state"]),
        max_duration_ms=round(duration * 1000) if duration else None,
    )
    return result.to_dict()


@action(
    "evaluate_service",
    {vol.Required(ATTR_NUMBER): PHONE},
    SupportsResponse.ONLY,
)
async def _async_evaluate_service(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return whether a number or e-mail address is on iMessage or SMS."""
    number = _inputs(call).address(ATTR_NUMBER, call.data[ATTR_NUMBER])
    result = await entry.runtime_data.client.evaluate_service(number=number)
    return result.to_dict()


HANDLE_FIELD: dict[vol.Marker, Any] = {vol.Required(ATTR_MESSAGE_HANDLE): cv.string}


@action("get_message_status", HANDLE_FIELD, SupportsResponse.ONLY)
async def _async_get_message_status(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return a sent message with its current status."""
    client = entry.runtime_data.client
    message = await client.get_message_status(
        message_handle=call.data[ATTR_MESSAGE_HANDLE]
    )
    return message.to_dict()


@action("get_message", HANDLE_FIELD, SupportsResponse.ONLY)
async def _async_get_message(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return one message."""
    client = entry.runtime_data.client
    message = await client.get_message(message_id=call.data[ATTR_MESSAGE_HANDLE])
    return message.to_dict()


TIME_FILTERS = [
    f"{kind}_at_{bound}"
    for kind in ("created", "sent", "updated")
    for bound in ("gte", "lte")
]
PLAIN_FILTERS = [
    ATTR_LIMIT,
    ATTR_OFFSET,
    "order_direction",
    "is_outbound",
    "message_type",
    "status",
    "service",
]
TEXT_FILTERS = [
    ATTR_NUMBER,
    ATTR_FROM_NUMBER,
    "to_number",
    ATTR_SENDBLUE_NUMBER,
    ATTR_GROUP_ID,
    "account_email",
]


@action(
    "list_messages",
    {
        vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
        vol.Optional(ATTR_OFFSET): vol.All(vol.Coerce(int), vol.Range(min=0)),
        vol.Optional("order_by"): vol.In(list(ORDER_BY)),
        vol.Optional("order_direction"): vol.In(ORDER_DIRECTIONS),
        vol.Optional("is_outbound"): cv.boolean,
        vol.Optional("message_type"): vol.In(["message", "group"]),
        vol.Optional("status"): vol.In(MESSAGE_STATUSES),
        vol.Optional("service"): vol.In(SERVICES),
        **{vol.Optional(name): cv.string for name in TEXT_FILTERS},
        **{vol.Optional(name): cv.datetime for name in TIME_FILTERS},
    },
    SupportsResponse.ONLY,
)
async def _async_list_messages(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return one page of messages, filtered as asked."""
    arguments = _given(call, *PLAIN_FILTERS, *TEXT_FILTERS) | _times(
        call, *TIME_FILTERS
    )
    if order_by := call.data.get("order_by"):
        arguments["order_by"] = ORDER_BY[order_by]
    page = await entry.runtime_data.client.list_messages(**arguments)
    return {
        "messages": [message.to_dict() for message in page.messages],
        "has_more": page.has_more,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@action("delete_message", HANDLE_FIELD)
async def _async_delete_message(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Delete a message from Sendblue's records."""
    client = entry.runtime_data.client
    await client.delete_message(message_handle=call.data[ATTR_MESSAGE_HANDLE])
    return None


# -- media and lines -------------------------------------------------------------


@action(
    "upload_media",
    {vol.Optional(ATTR_MEDIA_URL): cv.url, vol.Optional(ATTR_MEDIA): MEDIA_FIELD},
    SupportsResponse.OPTIONAL,
)
async def _async_upload_media(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Upload a media item, or have Sendblue re-host a URL."""
    one_of(call.data, ATTR_MEDIA_URL, ATTR_MEDIA, required=True)
    if call.data.get(ATTR_MEDIA):
        return {ATTR_MEDIA_URL: await _async_media_url(call, entry)}
    hosted = await entry.runtime_data.client.upload_media_object(
        media_url=call.data[ATTR_MEDIA_URL]
    )
    return {
        ATTR_MEDIA_URL: hosted.media_url,
        "media_object_id": hosted.media_object_id,
    }


@action(
    "list_lines",
    {vol.Optional("refresh", default=False): cv.boolean},
    SupportsResponse.ONLY,
)
async def _async_list_lines(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return the account's lines with their state and capacity where known."""
    coordinator = entry.runtime_data.coordinator
    if call.data["refresh"]:
        await coordinator.async_refresh()
        if not coordinator.last_update_success:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="refresh_failed",
                translation_placeholders={"error": str(coordinator.last_exception)},
            ) from coordinator.last_exception
    lines = coordinator.data.lines
    default = resolve_line(entry, None) if lines else None
    return {
        "lines": [
            {
                "number": line.number,
                "default": line.number == default,
                "status": line.status.value,
                "state": line.state.to_dict() if line.state else None,
                "usage": line.usage.to_dict() if line.usage else None,
            }
            for line in sorted(lines.values(), key=lambda line: line.number)
        ]
    }


@action(
    "request_line",
    {vol.Optional("desired_area_code"): cv.string},
    SupportsResponse.OPTIONAL,
)
async def _async_request_line(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Ask Sendblue for a new line, optionally in an area code or ZIP code."""
    request = await entry.runtime_data.client.request_line(
        desired_area_code=call.data.get("desired_area_code") or None
    )
    return request.to_dict()


# -- contacts ----------------------------------------------------------------------

TAGS = vol.All(cv.ensure_list, [cv.string])
VARIABLES = vol.Schema({cv.string: cv.string})
CONTACT_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(ATTR_NUMBER): PHONE,
    vol.Optional("first_name"): cv.string,
    vol.Optional("last_name"): cv.string,
    vol.Optional("company_name"): cv.string,
    vol.Optional("tags"): TAGS,
    vol.Optional("custom_variables"): VARIABLES,
}
CONTACT_OWNER_FIELDS: dict[vol.Marker, Any] = {
    **CONTACT_FIELDS,
    vol.Optional("assigned_to_email"): cv.string,
    vol.Optional(ATTR_SENDBLUE_NUMBER): PHONE,
}
CONTACT_ARGUMENTS = (
    "first_name",
    "last_name",
    "company_name",
    "assigned_to_email",
    "tags",
    "custom_variables",
)


def _contact_arguments(call: ServiceCall, entry: SendblueConfigEntry) -> dict[str, Any]:
    """Return the contact fields given, with the number and line checked."""
    arguments = _given(call, *CONTACT_ARGUMENTS)
    arguments[ATTR_NUMBER] = _inputs(call).phone(ATTR_NUMBER, call.data[ATTR_NUMBER])
    if line := call.data.get(ATTR_SENDBLUE_NUMBER):
        arguments[ATTR_SENDBLUE_NUMBER] = resolve_line(entry, line)
    return arguments


@action(
    "list_contacts",
    {
        vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
        vol.Optional(ATTR_OFFSET): vol.All(
            vol.Coerce(int), vol.Range(min=0, max=10000)
        ),
        vol.Optional("order_by"): cv.string,
        vol.Optional("order_direction"): vol.In(ORDER_DIRECTIONS),
        vol.Optional(ATTR_NUMBER): PHONE,
        vol.Optional("contact_id"): cv.string,
        vol.Optional("created_at_gte"): cv.datetime,
    },
    SupportsResponse.ONLY,
)
async def _async_list_contacts(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return contacts of the address book."""
    arguments = _given(
        call, ATTR_LIMIT, ATTR_OFFSET, "order_by", "order_direction", "contact_id"
    ) | _times(call, "created_at_gte")
    if number := call.data.get(ATTR_NUMBER):
        arguments["phone_number"] = _inputs(call).phone(ATTR_NUMBER, number)
    contacts = await entry.runtime_data.client.list_contacts(**arguments)
    return {ATTR_CONTACTS: [contact.to_dict() for contact in contacts]}


NUMBER_FIELD: dict[vol.Marker, Any] = {vol.Required(ATTR_NUMBER): PHONE}


@action("get_contact", NUMBER_FIELD, SupportsResponse.ONLY)
async def _async_get_contact(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return one contact."""
    number = _inputs(call).phone(ATTR_NUMBER, call.data[ATTR_NUMBER])
    return (await entry.runtime_data.client.get_contact(number=number)).to_dict()


@action(
    "create_contact",
    {**CONTACT_OWNER_FIELDS, vol.Optional("update_if_exists"): cv.boolean},
    SupportsResponse.OPTIONAL,
)
async def _async_create_contact(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Create a contact, or update it when asked to."""
    contact = await entry.runtime_data.client.create_contact(
        **_contact_arguments(call, entry), **_given(call, "update_if_exists")
    )
    return contact.to_dict()


@action(
    "create_contacts",
    {
        vol.Required(ATTR_CONTACTS): vol.All(
            cv.ensure_list, vol.Length(min=1), [vol.Schema(CONTACT_FIELDS)]
        )
    },
    SupportsResponse.OPTIONAL,
)
async def _async_create_contacts(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Create many contacts at once."""
    inputs = _inputs(call)
    contacts = [
        NewContact(
            phone=inputs.phone(ATTR_CONTACTS, item[ATTR_NUMBER]),
            first_name=item.get("first_name"),
            last_name=item.get("last_name"),
            company_name=item.get("company_name"),
            tags=tuple(item.get("tags", ())),
            custom_variables=item.get("custom_variables", {}),
        )
        for item in call.data[ATTR_CONTACTS]
    ]
    created = await entry.runtime_data.client.create_contacts(contacts=contacts)
    return {ATTR_CONTACTS: [contact.to_dict() for contact in created]}


@action(
    "update_contact",
    {**CONTACT_OWNER_FIELDS, vol.Optional("opt_out"): cv.boolean},
    SupportsResponse.OPTIONAL,
)
async def _async_update_contact(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Update a contact; custom variables are merged."""
    contact = await entry.runtime_data.client.update_contact(
        **_contact_arguments(call, entry), **_given(call, "opt_out")
    )
    return contact.to_dict()


@action("delete_contact", NUMBER_FIELD)
async def _async_delete_contact(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Delete one contact."""
    number = _inputs(call).phone(ATTR_NUMBER, call.data[ATTR_NUMBER])
    await entry.runtime_data.client.delete_contact(number=number)
    return None


@action(
    "delete_contacts",
    {vol.Required(ATTR_NUMBERS): RECIPIENTS},
    SupportsResponse.OPTIONAL,
)
async def _async_delete_contacts(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Delete many contacts by number."""
    numbers = _inputs(call).phones(ATTR_NUMBERS, call.data[ATTR_NUMBERS])
    deleted = await entry.runtime_data.client.delete_contacts(numbers=numbers)
    return {"deleted": deleted}


@action(
    "get_contact_sharing_state",
    {vol.Optional(ATTR_FROM_NUMBER): PHONE},
    SupportsResponse.ONLY,
)
async def _async_get_contact_sharing_state(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Return the name and photo a line shares."""
    client = entry.runtime_data.client
    state = await client.get_contact_sharing_state(from_number=_line(call, entry))
    return state.to_dict()


@action(
    "set_contact_sharing_profile",
    {
        vol.Required("first_name"): cv.string,
        vol.Required("last_name"): cv.string,
        vol.Required("photo_url"): cv.url,
        vol.Optional("display_name"): cv.string,
        vol.Optional(ATTR_FROM_NUMBER): PHONE,
    },
    SupportsResponse.OPTIONAL,
)
async def _async_set_contact_sharing_profile(
    call: ServiceCall, entry: SendblueConfigEntry
) -> ServiceResponse:
    """Set the name and photo a line shares."""
    state = await entry.runtime_data.client.set_contact_sharing_profile(
        from_number=_line(call, entry),
        first_name=call.data["first_name"],
        last_name=call.data["last_name"],
        photo_url=call.data["photo_url"],
        display_name=call.data.get("display_name") or None,
    )
    return state.to_dict()
