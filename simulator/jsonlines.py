"""JSON Lines files of events: checked line by line, then read again to be appended.

A file is read twice rather than held: once to find every bad line (so that nothing is appended
when any is bad), once to feed the store's append a slice at a time. Memory stays flat however
long the file; standard input is first copied to a temporary file so it can be read twice. A
line longer than `MAX_LINE_BYTES` is refused by its number without being held whole.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import attrs

from simulator import codec
from simulator.errors import CodecError, DiplosimError
from simulator.events import Event
from simulator.inputs import InputError, check_regular

MAX_LINE_BYTES = 2**20  # the longest event of the shipped records is under 2 KB


@attrs.define
class Check:
    """What the first reading found: the events, and the bad lines (the first few in full)."""

    events: int
    bad: int
    messages: list[str]


class EventLines:
    """The JSON Lines file at *path* ('-' for standard input), opened for two readings."""

    def __init__(self, path: str, max_line: int = MAX_LINE_BYTES) -> None:
        self.name = "<stdin>" if path == "-" else path
        self.max_line = max_line
        self._handle = self._open(path)

    def __enter__(self) -> EventLines:
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()

    def check(self, keep: int) -> Check:
        """Read every line; keep the first *keep* messages of bad lines."""
        events, bad, messages = 0, 0, []
        for number, line in self._lines():
            try:
                parse_line(line)
                events += 1
            except DiplosimError as exc:
                bad += 1
                if len(messages) < keep:
                    messages.append(f"{self.name}:{number}: {exc}")
        return Check(events, bad, messages)

    def events(self) -> Iterator[Event]:
        """The events, read again from the start (a line gone bad since `check` raises)."""
        for number, line in self._lines():
            try:
                yield parse_line(line)
            except DiplosimError as exc:
                raise CodecError(f"{self.name}:{number}: {exc} (changed while read)") from None

    def _open(self, path: str) -> BinaryIO:
        if path == "-":
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
            shutil.copyfileobj(sys.stdin.buffer, spool)
            return spool
        try:
            check_regular(path)
            return open(path, "rb")  # noqa: SIM115 - closed by __exit__
        except OSError as exc:
            raise CodecError(f"{path}: cannot read ({exc.strerror})") from None
        except InputError as exc:
            raise CodecError(str(exc)) from None

    def _lines(self) -> Iterator[tuple[int, str | CodecError]]:
        """The numbered lines that are not blank, as text, or as the error that refuses them
        (too long: never held whole; not UTF-8)."""
        handle, limit = self._handle, self.max_line
        handle.seek(0)
        number = 0
        while raw := handle.readline(limit + 1):
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
                    pass
                yield number, CodecError(f"longer than {limit:,} bytes (one event a line expected)")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, CodecError("not valid UTF-8 text")
                continue
            if text.strip():
                yield number, text


def parse_line(line: str | CodecError) -> Event:
    """The event one line of JSON describes, or `CodecError` saying why not."""
    if isinstance(line, CodecError):
        raise line
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise CodecError(f"not a JSON object ({exc})") from None
    except RecursionError:
        raise CodecError("nested too deeply (a JSON object of an event expected)") from None
    event = codec.from_dict(data)
    try:
        codec.encode(event)[2].encode("utf-8")
    except UnicodeEncodeError:
        raise CodecError("text is not valid Unicode (a lone surrogate escape)") from None
    return event
