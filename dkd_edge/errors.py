"""User-facing errors: the CLI prints them as one line, without a traceback."""


class DkdError(Exception):
    """An error whose message says what is wrong and what to do about it."""


class DatasetError(DkdError):
    """A dataset folder or label file that cannot be read."""
