"""Problems found in a scenario: key paths, the errors that carry them, and where they are.

A problem is a key path and what is wrong there. The readers and the `Scenario` checks know
only paths; the loader turns each path into `file:line` with a `Locator` over the text that
gave it (tomllib keeps no positions).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from simulator.errors import ScenarioError

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]


def render_path(path: KeyPath) -> str:
    """`("events", 12, "attacker")` -> `events[12].attacker` (indices count from 0)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Invalid(ScenarioError):
    """Problems at key paths, before the loader adds the file and line of each."""

    def __init__(self, path: KeyPath | None = None, what: str = "", *, problems=()) -> None:
        self.problems: list[Problem] = list(problems)
        if path is not None:
            self.problems.insert(0, (path, what))
        super().__init__(
            "\n".join(f"{render_path(p) or '(top level)'}: {w}" for p, w in self.problems)
        )

    @property
    def path(self) -> KeyPath:
        return self.problems[0][0]


class InvalidScenario(ScenarioError):
    """A scenario file with problems: one line each, `file:line: key.path: what (expected)`."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(lines)
        super().__init__("\n".join(self.problems))


class Collector:
    """Gathers the problems of many independent checks, so one run reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: KeyPath, what: str) -> None:
        self.problems.append((path, what))

    def run(self, check, *args: Any) -> Any:
        """`check(*args)`, its problems noted; None when it had any."""
        try:
            return check(*args)
        except Invalid as exc:
            self.problems.extend(exc.problems)
            return None

    def raise_any(self) -> None:
        if self.problems:
            raise Invalid(problems=self.problems)


def suggest(word: Any, options: Any) -> str:
    """`did you mean 'x'? ` for the closest of *options*, or nothing."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def listing(options: Any, limit: int = 12) -> str:
    names = [str(o) for o in options]
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


# --- finding lines ---------------------------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _key_parts(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class Locator:
    """Maps key paths to line numbers by scanning the text.

    Tables are identified as key paths, an array-of-tables element by its index:
    the 13th `[[events]]` is `("events", 12)`, and its key `attacker` is on `line(("events",
    12, "attacker"))`. A path that is not written in the file resolves to the line of the
    nearest enclosing table that is (line 1 at worst).
    """

    def __init__(self, text: str) -> None:
        self._headers: dict[KeyPath, int] = {(): 1}
        self._keys: dict[KeyPath, int] = {}
        counts: dict[KeyPath, int] = {}
        table: KeyPath = ()
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:  # inside a multi-line string: nothing here is structure
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _key_parts(header.group(2))
                if parts:
                    table = self._table(parts, header.group(1) == "[[", counts)
                    self._headers.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self._keys.setdefault(table + _key_parts(key.group(1)), number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote
                    break

    @staticmethod
    def _table(parts: tuple[str, ...], is_array: bool, counts: dict[KeyPath, int]) -> KeyPath:
        path: KeyPath = ()
        for part in parts[:-1]:
            path += (part,)
            if path in counts:  # a name of an array of tables means its latest element
                path += (counts[path] - 1,)
        path += (parts[-1],)
        if is_array:
            counts[path] = counts.get(path, 0) + 1
            path += (counts[path] - 1,)
        return path

    def line(self, path: KeyPath) -> int:
        """The line that best shows *path*: its key, else its table, else an enclosing one."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self._keys:
                return self._keys[prefix]
            if prefix in self._headers:
                return self._headers[prefix]
        return 1
