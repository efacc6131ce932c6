"""Writing a folder of result files whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from simulator.errors import DiplosimError


def write_files(out: str | Path, writers: Mapping[str, Callable[[Path], object]]) -> list[Path]:
    """Each file of *writers* (name: a function writing to a path) into the folder *out*, whole
    or not at all: written to a temporary name, renamed once all are written."""
    folder = Path(out)
    temporary = {name: folder / f".{name}.tmp" for name in writers}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, write_to in writers.items():
            write_to(temporary[name])
        for name, path in temporary.items():
            path.replace(folder / name)
    except OSError as exc:
        for path in temporary.values():
            path.unlink(missing_ok=True)
        raise DiplosimError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return [folder / name for name in writers]
