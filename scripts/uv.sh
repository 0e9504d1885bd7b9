#!/usr/bin/env bash
# Runs uv, installing it with pip first when this machine has none.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then exec uv "$@"; fi
if [ -x "$HOME/.local/bin/uv" ]; then exec "$HOME/.local/bin/uv" "$@"; fi
if python3 -c 'import uv' >/dev/null 2>&1; then exec python3 -m uv "$@"; fi
echo "uv is not installed: installing it from PyPI (python3 -m pip install uv)..." >&2
python3 -m pip install --quiet --user uv >&2 2>/dev/null || python3 -m pip install --quiet uv >&2
exec python3 -m uv "$@"
