"""Text from the data, made safe to show on a terminal.

An event's text, a stream name or a scenario name comes from files anyone may write: control
characters (an escape sequence can rewrite the screen), right-to-left and other bidirectional
overrides (they reorder what a reader sees) are shown as `\\uXXXX`, and cells are handed to
rich as `Text`, never parsed as markup, so `[/]` or `[bold]` in the data prints as it is.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def safe(text: str) -> str:
    """*text* with control characters (but none of space) and bidi controls escaped."""
    return "".join(
        f"\\u{ord(c):04x}" if c in _BIDI or unicodedata.category(c) == "Cc" else c for c in text
    )


def cell(text: str) -> Text:
    """*text* as a rich `Text`: escaped by `safe`, and not read as markup."""
    return Text(safe(text))
