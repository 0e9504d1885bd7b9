"""Flower reads this file from the working directory when it starts
(`celery -A almanac.worker flower`): its options come from Almanac's settings."""

import sys

from almanac.core.errors import ConfigError
from almanac.core.settings import get_settings
from almanac.worker.flower_options import flower_options

try:
    globals().update(flower_options(get_settings()))
except ConfigError as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(1) from None
