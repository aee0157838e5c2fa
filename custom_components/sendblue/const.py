"""Constants for the Sendblue integration."""

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Final

DOMAIN: Final = "sendblue"
LOGGER = logging.getLogger(__package__)

DEFAULT_BASE_URL: Final = "https://api.sendblue.co"
DEFAULT_TITLE: Final = "Sendblue"

CONF_API_KEY_ID: Final = "api_key_id"
CONF_API_SECRET_KEY: Final = "api_secret_key"
CONF_BASE_URL: Final = "base_url"
CONF_ADVANCED: Final = "advanced"
CONF_ACCOUNT_EMAIL: Final = "account_email"
CONF_WEBHOOK_SECRET: Final = "webhook_secret"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
# The URL we registered with Sendblue, kept so removal deletes exactly that one.
CONF_REGISTERED_URL: Final = "registered_webhook_url"

CONF_RECEIVE_MODE: Final = "receive_mode"
CONF_POLLING_INTERVAL: Final = "polling_interval"
# Minutes: a missed text older than this fires no event when it is found later.
CONF_REPLAY_WINDOW: Final = "replay_window"
CONF_DEFAULT_LINE: Final = "default_line"
CONF_ALLOWED_SENDERS: Final = "allowed_senders"
CONF_ASSIST: Final = "assist"
CONF_ASSIST_AGENT: Final = "assist_agent"
CONF_ASSIST_MARK_READ: Final = "assist_mark_read"
# Let Assist answer SMS and RCS too, whose sender numbers can be spoofed.
CONF_ASSIST_SMS: Final = "assist_sms"
# Let conversation agents read conversations through the LLM API, but not text.
CONF_LLM_READ_ONLY: Final = "llm_read_only"
# How long the outbox keeps trying a send that failed for a reason that heals.
CONF_RETRY_FOR: Final = "retry_for"

SUBENTRY_RECIPIENT: Final = "recipient"
CONF_RECIPIENT_KIND: Final = "kind"
CONF_RECIPIENT_TARGET: Final = "target"
CONF_RECIPIENT_LINE: Final = "line"


class RecipientKind(StrEnum):
    """Who a recipient subentry sends to."""

    CONTACT = "contact"
    GROUP = "group"


class ReceiveMode(StrEnum):
    """How the integration learns about inbound messages and status changes."""

    AUTO = "auto"
    STREAM = "stream"
    WEBHOOK = "webhook"
    POLLING = "polling"
    OFF = "off"


# Entries made before the stream existed have no mode saved: they keep the
# webhook. The config flow gives new entries NEW_ENTRY_RECEIVE_MODE.
DEFAULT_RECEIVE_MODE: Final = ReceiveMode.WEBHOOK
NEW_ENTRY_RECEIVE_MODE: Final = ReceiveMode.AUTO
DEFAULT_REPLAY_WINDOW: Final = 15
MAX_REPLAY_WINDOW: Final = 24 * 60
DEFAULT_POLLING_INTERVAL: Final = 10
MIN_POLLING_INTERVAL: Final = 5
MAX_POLLING_INTERVAL: Final = 3600

# Lines and capacity change rarely; how often they are polled depends on how
# the entry receives (the stream tells line status changes as they happen).
LINES_SCAN_INTERVAL: Final = timedelta(minutes=5)
WEBHOOK_LINES_SCAN_INTERVAL: Final = timedelta(minutes=30)
STREAM_LINES_SCAN_INTERVAL: Final = timedelta(hours=1)
# Webhook registration check and catch-up listing, in webhook and stream mode.
RECEIVE_CHECK_INTERVAL: Final = timedelta(hours=1)
# After a failed poll, ask again this soon, then at most this often.
FAILED_POLL_RETRY: Final = timedelta(seconds=30)
MAX_FAILED_POLL_RETRY: Final = timedelta(minutes=1)
# A line offline this long is worth a repair issue.
LINE_OFFLINE_REPAIR_AFTER: Final = timedelta(hours=1)

DEFAULT_RETRY_FOR: Final = timedelta(minutes=30)
MAX_RETRY_FOR: Final = timedelta(hours=24)

# Sendblue retries deliveries; remember this many keys to fire each event once.
DEDUPE_SIZE: Final = 4096
# Nothing Sendblue sends is near this; anything bigger is not Sendblue.
MAX_WEBHOOK_BODY: Final = 1024 * 1024
WEBHOOK_SECRET_HEADER: Final = "sb-signing-secret"
# Sendblue's payloads nest two deep; the recorder's JSON encoder stops at 254.
MAX_PAYLOAD_DEPTH: Final = 32

EVENT_MESSAGE_RECEIVED: Final = f"{DOMAIN}_message_received"
EVENT_MESSAGE_STATUS: Final = f"{DOMAIN}_message_status"
EVENT_TYPING_INDICATOR: Final = f"{DOMAIN}_typing_indicator"
EVENT_OUTBOX: Final = f"{DOMAIN}_outbox"

# Event entity types, one per bus event.
EVENT_TYPE_MESSAGE_RECEIVED: Final = "message_received"
EVENT_TYPE_MESSAGE_STATUS: Final = "message_status"
EVENT_TYPE_TYPING: Final = "typing"

# The receiver of an entry changed while it runs (the stream fell back to polling).
SIGNAL_RECEIVE_MODE: Final = f"{DOMAIN}_receive_mode_{{entry_id}}"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_LINE: Final = "line"
