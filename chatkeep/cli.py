"""The `chatkeep` command: it parses its command line and the environment into settings and
hands them to the composition root (`chatkeep.bootstrap.server.run`). A bad configuration
is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from chatkeep.arguments import SERVE_FIELDS, parse_args
from chatkeep.bootstrap.server import ConfigurationError, run
from chatkeep.bootstrap.settings import Settings


def load_settings(args: argparse.Namespace) -> Settings:
    """The settings from `args`, the environment and the defaults. Raises
    ConfigurationError naming the first invalid one."""
    flags = {name: value for name in SERVE_FIELDS if (value := getattr(args, name)) is not None}
    try:
        settings = Settings(**flags)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"invalid {where}: {first['msg']}") from None
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line `argv` (sys.argv's by default); answers the exit status."""
    args = parse_args(argv)
    try:
        run(load_settings(args))
    except ConfigurationError as error:
        print(f"chatkeep: {error}", file=sys.stderr)
        return 2
    return 0
