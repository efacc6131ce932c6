"""Reading the files a user names: only regular files, and those read whole only up to a size.

A FIFO with no writer would hang a command, a device (`/dev/zero`) would fill memory, a
directory is a mistake: each is refused by `check_regular` before it is opened, naming the
file and what it is. Files read whole (scenarios, fit files, actors tables) are refused past
`MAX_TEXT_BYTES`; streamed files (JSON Lines, event exports) have no size limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from simulator.errors import DiplosimError

MAX_TEXT_BYTES = 64 * 2**20  # a scenario of 100,000 events is about 20 MB of TOML

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputError(DiplosimError):
    """A file that cannot be read as asked; the message starts with the file."""


def check_regular(path: str | Path) -> None:
    """Refuse *path* unless it is a regular file (links followed), in one line."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    for test, kind in _KINDS:
        if test(mode):
            raise InputError(f"{path}: is {kind}, not a regular file (a file expected)")


def read_whole(path: str | Path, limit: int = MAX_TEXT_BYTES, raise_by: str = "") -> bytes:
    """The bytes of the regular file *path*, refused past *limit* bytes (*raise_by*: the option
    that raises the limit, named in the message)."""
    check_regular(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(raw) > limit:
        more = f", or {raise_by} to read it" if raise_by else ""
        raise InputError(f"{path}: larger than {limit:,} bytes (a smaller file expected{more})")
    return raw
