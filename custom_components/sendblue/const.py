"""Constants for the Sendblue integration."""

import logging
from typing import Final

DOMAIN: Final = "sendblue"
LOGGER = logging.getLogger(__package__)
