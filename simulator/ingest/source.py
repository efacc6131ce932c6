"""Data files as they are published: plain, gzip (`.gz`) or zip (`.zip`, one member, stored
or deflated), tab- or comma-separated, with or without a header, `NA` or empty for missing;
read a block at a time into columns of text by pyarrow's CSV reader.

The compression is told by the file's first bytes, not its name; the delimiter by the first
line (the layout's own if the line holds it, else the other one); a header by the layout's
`columns`. A file that is none of these is refused on its first line with what was expected.

Rows are numbered as pyarrow counts them: from 1, the header included, blank lines not
counted, a quoted value that breaks lines counting as one row. A file without blank lines and
without line breaks inside values (every GDELT and ICEWS file) has its rows on those lines.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import sys
import zipfile
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import IO, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from simulator.inputs import InputError, check_regular

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
MISSING = "NA"  # R's and many exports' empty value, read as an empty field
# Of the file parsed at a time: about 2,500 GDELT rows. pyarrow's parsing buffers grow with
# it, outside its memory pool: 4 MiB blocks held 250 MB resident, 1 MiB blocks 120 MB.
BLOCK_BYTES = 1 << 19
_FIRST_LINE_BYTES = 1 << 20  # a first line longer than this is no row of a known layout
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a long first line's fields are read whole
_UTF8 = frozenset({"utf-8", "utf-8-sig"})  # pyarrow reads these itself (and skips a BOM)


class SourceError(Exception):
    """The file cannot be opened or read as data: the message names it and says why."""


def open_binary(path: str) -> IO[bytes]:
    """*path*'s bytes, decompressed when it is a gzip or a one-member zip file."""
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
            return gzip.GzipFile(fileobj=raw)
        if magic == ZIP_MAGIC:
            return _member(raw, path)
        return raw
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


class Block(NamedTuple):
    """The rows read whole from the `start`-th on (counted from 0), as one array of text per
    column asked for; `Table.number(start + k)` is the k-th row's number in the file."""

    start: int
    columns: list[pa.Array]


class Table:
    """The data file at *path*: its first row (`first`, sniffed with the layout's *dialect*),
    then its rows a `Block` at a time. Rows whose width differs from the first row's are left
    out of the blocks and listed in `misfits` as (row number, width) as they are met."""

    def __init__(self, path: str, dialect: dict, encoding: str) -> None:
        self.path = path
        self.misfits: list[tuple[int, int]] = []
        try:
            self._encoding = codecs.lookup(encoding).name
        except LookupError:
            raise SourceError(f"cannot read {path}: unknown encoding {encoding!r}") from None
        with open_binary(path) as f:
            line = self._first_line(f)
        self._dialect = sniffed(line, dialect)
        self.first = _fields(line, self._dialect) if line.strip() else None

    def _first_line(self, f: IO[bytes]) -> str:
        try:
            for raw in iter(lambda: f.readline(_FIRST_LINE_BYTES), b""):
                text = raw.decode(self._encoding, errors="replace").lstrip("\ufeff")
                if text.strip():
                    return text
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise SourceError(f"cannot read {self.path}: {exc}") from None
        return ""

    def number(self, row: int) -> int:
        """The number in the file (from 1, as pyarrow counts) of the *row*-th row read whole."""
        number = row + 1
        while True:  # every misfit numbered up to this row's number comes before it
            shifted = row + 1 + bisect.bisect_right(self.misfits, number, key=itemgetter(0))
            if shifted == number:
                return number
            number = shifted

    def blocks(self, wanted: Sequence[int]) -> Iterator[Block]:
        """The rows, the first included, a block at a time, each as the columns *wanted* (by
        their place in the first row); `NA` read as empty, invalid UTF-8 replaced."""
        if self.first is None:
            return
        width = len(self.first)
        names = [f"c{i}" for i in range(width)]
        chosen = [names[i] for i in wanted]
        quoted = self._dialect.get("quoting") != csv.QUOTE_NONE
        read = arrow_csv.ReadOptions(
            column_names=names,
            use_threads=False,  # faster for one stream here, and rows keep their numbers
            block_size=BLOCK_BYTES,
            encoding="utf8" if self._encoding in _UTF8 else self._encoding,
        )
        parse = arrow_csv.ParseOptions(
            delimiter=self._dialect.get("delimiter", ","),
            quote_char='"' if quoted else False,
            double_quote=quoted,
            escape_char=False,
            newlines_in_values=quoted,
            invalid_row_handler=self._misfit,
        )
        convert = arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(chosen, pa.string()),
            include_columns=chosen,
            null_values=[MISSING],
            strings_can_be_null=True,
            check_utf8=False,  # checked a column at a time below, so bad bytes are replaced
        )
        start = 0
        try:
            with (
                open_binary(self.path) as f,
                arrow_csv.open_csv(
                    f, read_options=read, parse_options=parse, convert_options=convert
                ) as reader,
            ):
                for batch in reader:
                    columns = [_text(batch.column(name)) for name in chosen]
                    yield Block(start, columns)
                    start += batch.num_rows
        except pa.ArrowInvalid as exc:
            raise SourceError(f"{self.path}: {_reason(exc)}") from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:  # a truncated gzip or zip
            raise SourceError(f"cannot read {self.path}: {exc}") from None

    def _misfit(self, row: arrow_csv.InvalidRow) -> str:
        self.misfits.append((row.number, row.actual_columns))  # rising: read in order
        return "skip"


def _text(column: pa.Array) -> pa.Array:
    """*column* with `NA` (null) as empty and any invalid UTF-8 replaced."""
    if column.null_count:
        column = pc.fill_null(column, "")
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        values = column.cast(pa.binary()).to_pylist()
        column = pa.array([v.decode("utf-8", errors="replace") for v in values], pa.string())
    return column


def _reason(exc: pa.ArrowInvalid) -> str:
    text = str(exc).strip()
    return text.removeprefix("CSV parse error: ").splitlines()[0] if text else "cannot parse"


def sniffed(first: str, dialect: dict) -> dict:
    """The layout's *dialect*, or comma- for tab-separated (and back) when the first line
    holds only the other delimiter: a GDELT export from R or BigQuery is comma-separated and
    quoted."""
    own = dialect.get("delimiter", ",")
    other = "," if own == "\t" else "\t"
    if own in first or other not in first:
        return dialect
    return {} if other == "," else {"delimiter": "\t", "quoting": csv.QUOTE_NONE}


def _fields(line: str, dialect: dict) -> list[str]:
    line = line.rstrip("\r\n")
    if dialect.get("quoting") == csv.QUOTE_NONE:
        fields = line.split(dialect["delimiter"])
    else:
        fields = next(csv.reader([line], **dialect), [])
    return ["" if field == MISSING else field for field in fields]
