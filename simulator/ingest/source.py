"""Data files as they are published: plain, gzip (`.gz`) or zip (`.zip`, one member, stored
or deflated), tab- or comma-separated, with or without a header, `NA` or empty for missing.

The compression is told by the file's first bytes, not its name; the delimiter by the first
line (the layout's own if the line holds it, else the other one); a header by the layout's
`columns`. A file that is none of these is refused on its first line with what was expected.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from typing import IO

from simulator.inputs import InputError, check_regular

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
MISSING = "NA"  # R's and many exports' empty value, read as an empty field


class SourceError(Exception):
    """The file cannot be opened as data: the message names it and says why."""


def open_text(path: str, encoding: str) -> IO[str]:
    """*path* as text, decompressed when it is a gzip or a one-member zip file."""
    try:
        check_regular(path)
        raw = open(path, "rb")  # noqa: SIM115 - handed on, closed with what wraps it
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    except InputError as exc:
        raise SourceError(str(exc)) from None
    try:
        magic = raw.read(4)
        raw.seek(0)
        if magic[:2] == GZIP_MAGIC:
            binary: IO[bytes] = gzip.GzipFile(fileobj=raw)
        elif magic == ZIP_MAGIC:
            binary = _member(raw, path)
        else:
            binary = raw
        return io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    except LookupError:
        raw.close()
        raise SourceError(f"unknown encoding {encoding!r}") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raw.close()
        raise SourceError(f"cannot read {path}: {exc}") from None


def _member(raw: IO[bytes], path: str) -> IO[bytes]:
    archive = zipfile.ZipFile(raw)
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if len(names) != 1:
        archive.close()
        shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
        raise SourceError(
            f"{path}: a zip file of one data file expected (GDELT publishes one a zip); "
            f"it holds {len(names)}{': ' + shown if names else ''}"
        )
    return archive.open(names[0])


class Rows:
    """(line number, fields) of each non-blank row of the open file *f*, with the delimiter
    sniffed from the first line and `NA` fields read as empty.

    `prefilter(keep, reach)`, set once the first row is read, skips the rows *keep* refuses
    (counted in `filtered`) as they are met. On a tab file without quoting it judges only the
    first *reach* fields of each line, split apart from the rest: a row outside the filters
    costs a partial split, and its width is not checked."""

    def __init__(self, f: IO[str], dialect: dict, path: str) -> None:
        self.path = path
        self.filtered = 0
        self._file, self._dialect = f, dialect
        self._keep: Callable[[list[str]], bool] | None = None
        self._reach = 0

    def prefilter(self, keep: Callable[[list[str]], bool], reach: int) -> None:
        self._keep, self._reach = keep, reach

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        first = self._file.readline()
        dialect = sniffed(first, self._dialect)
        lines = _lines_from(first, self._file)
        if dialect.get("quoting") == csv.QUOTE_NONE:
            yield from self._split(lines, dialect["delimiter"])
            return
        reader = csv.reader(lines, **dialect)
        try:
            for fields in reader:
                if not fields:  # a blank line is no row
                    continue
                fields = _present(fields) if MISSING in fields else fields
                if self._keep is not None and not self._keep(fields):
                    self.filtered += 1
                    continue
                yield reader.line_num, fields
        except csv.Error as exc:
            raise SourceError(f"{self.path} line {reader.line_num}: {exc}") from None

    def _split(self, lines: Iterator[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
        # No quoting means a row is a line: splitting it is faster than csv and means the same.
        for line, text in enumerate(lines, 1):
            text = text.rstrip("\r\n")
            if not text:
                continue
            keep, reach = self._keep, self._reach
            if keep is not None:
                head = text.split(delimiter, reach)
                if len(head) > reach:  # a row too short is left whole, for its width's refusal
                    head = _present(head) if MISSING in head else head
                    if not keep(head):
                        self.filtered += 1
                        continue
            fields = text.split(delimiter)
            yield line, _present(fields) if MISSING in fields else fields


def sniffed(first: str, dialect: dict) -> dict:
    """The layout's *dialect*, or comma- for tab-separated (and back) when the first line
    holds only the other delimiter: a GDELT export from R or BigQuery is comma-separated and
    quoted."""
    own = dialect.get("delimiter", ",")
    other = "," if own == "\t" else "\t"
    if own in first or other not in first:
        return dialect
    return {} if other == "," else {"delimiter": "\t", "quoting": csv.QUOTE_NONE}


def _lines_from(first: str, f: IO[str]) -> Iterator[str]:
    if first:
        yield first
    yield from f


def _present(fields: list[str]) -> list[str]:
    return ["" if field == MISSING else field for field in fields]
