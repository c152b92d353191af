"""User-facing errors: the CLI prints their message on one line and exits non-zero, no traceback."""


class BnplError(Exception):
    """A mistake in the user's input (bad path, malformed file, bad parameter)."""


class DataError(BnplError):
    """An input file or table does not have the expected form. The message names the file and column."""
