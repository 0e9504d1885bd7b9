#!/usr/bin/env bash
# Runs uv, installing it with pip first when this machine has none.
# This script may itself be on the PATH as `uv`: a `uv` that resolves to this
# very file is skipped, so it never calls itself.
set -euo pipefail
self="$(readlink -f "${BASH_SOURCE[0]}")"
not_self() { [ -n "$1" ] && [ -x "$1" ] && [ "$(readlink -f "$1")" != "$self" ]; }
while IFS= read -r found; do
    if not_self "$found"; then exec "$found" "$@"; fi
done < <(type -ap uv)
if not_self "$HOME/.local/bin/uv"; then exec "$HOME/.local/bin/uv" "$@"; fi
if python3 -c 'import uv' >/dev/null 2>&1; then exec python3 -m uv "$@"; fi
echo "uv is not installed: installing it from PyPI (python3 -m pip install uv)..." >&2
python3 -m pip install --quiet --user uv >&2 2>/dev/null || python3 -m pip install --quiet uv >&2
exec python3 -m uv "$@"
