"""`python -m almanac.api.serve [uvicorn options]`: the API under uvicorn, its settings
checked first.

With several workers, uvicorn's own process never loads the app: a wrong
setting would stop each worker as it starts, not the server. Checked here
first, it stops the server at once, naming the variable, with a non-zero
status for whatever started it; the options are then uvicorn's own.
"""

from __future__ import annotations

import sys

from uvicorn.main import main as uvicorn_command

from almanac.api.api_keys import check_api_keys
from almanac.core.errors import ConfigError
from almanac.core.settings import get_settings

APP = "almanac.api.main:app"


def main(argv: list[str] | None = None) -> None:
    try:
        check_api_keys(get_settings())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    uvicorn_command.main(args=[APP, *(sys.argv[1:] if argv is None else argv)], prog_name="uvicorn")


if __name__ == "__main__":
    main()
