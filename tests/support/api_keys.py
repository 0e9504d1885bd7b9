"""The API key the test session's API accepts (conftest sets `ALMANAC_API_KEYS` to it)."""

from __future__ import annotations

import secrets

API_KEY = f"test-key-{secrets.token_hex(16)}"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
"""The header every request that changes something carries."""
