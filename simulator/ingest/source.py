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
from collections.abc import Iterator
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


def rows(f: IO[str], dialect: dict, path: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank row of the open file *f*, with the delimiter
    sniffed from the first line and `NA` fields read as empty."""
    first = f.readline()
    dialect = sniffed(first, dialect)
    lines = _lines_from(first, f)
    if dialect.get("quoting") == csv.QUOTE_NONE:
        # No quoting means a row is a line: splitting it is faster than csv and means the same.
        delimiter = dialect["delimiter"]
        for line, text in enumerate(lines, 1):
            text = text.rstrip("\r\n")
            if text:
                fields = text.split(delimiter)
                yield line, _present(fields) if MISSING in fields else fields
        return
    reader = csv.reader(lines, **dialect)
    try:
        for fields in reader:
            if fields:  # a blank line is no row
                yield reader.line_num, _present(fields) if MISSING in fields else fields
    except csv.Error as exc:
        raise SourceError(f"{path} line {reader.line_num}: {exc}") from None


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
