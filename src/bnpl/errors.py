"""User-facing errors: the CLI prints their message on one line and exits non-zero, no traceback."""


class BnplError(Exception):
    """A mistake in the user's input (bad path, malformed file, bad parameter)."""


class DataError(BnplError):
    """An input file or table does not have the expected form. The message names the file and column."""


class BnplWarning(UserWarning):
    """Input was accepted after a documented repair (e.g. exact duplicate rows removed); the CLI prints one line."""


class DataWarning(BnplWarning):
    """A data file was repaired or is degenerate (one class, one user); the message names the file and column."""
