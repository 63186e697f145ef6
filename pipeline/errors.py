"""Run-level errors, importable without Beam so the command line starts fast."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


class InputError(ValueError):
    """The inputs as a whole cannot be read: nothing matches, or a file lacks required columns."""


class StateError(ValueError):
    """The state a run needs was pruned: running it would publish different story ids."""


class OutputError(ValueError):
    """The output or state folder cannot be used: it is a file, or cannot be written."""


def exit_on_user_error(main: Callable[[], int | None], prog: str) -> NoReturn:
    """Runs a script's ``main`` and exits with its status; a bad input, setting or folder is
    one line on stderr and exit status 2, as storymatch says it, not a traceback."""
    from pipeline.config import ConfigError

    try:
        status = main()
    except (ConfigError, InputError, StateError, OutputError, FileNotFoundError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        sys.exit(2)
    sys.exit(status)
