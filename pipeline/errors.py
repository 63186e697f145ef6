"""Run-level errors, importable without Beam so the command line starts fast."""


class InputError(ValueError):
    """The inputs as a whole cannot be read: nothing matches, or a file lacks required columns."""


class StateError(ValueError):
    """The state a run needs was pruned: running it would publish different story ids."""


class OutputError(ValueError):
    """The output or state folder cannot be used: it is a file, or cannot be written."""
