"""Credentials never shown: store URLs as text without their passwords, and the command
line's output with any known secret replaced.

`redact_url` is the one place a store URL becomes text. It does not trust a URL parser with a
password that was not percent-encoded (`#`, `?`, `/` or `@` in it split a URL where a parser
does not expect): the user information is everything between `://` and the last `@` before
the host, and any `password` or `sslpassword` in the query or in a `key=value` connection
string is masked too. `redacting` is the second line: while a command runs, everything it
writes to stdout and stderr passes through a filter that replaces each secret of the URLs it
was given (raw and percent-decoded), so a driver's message that quotes the URL is masked as
well.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import unquote

MASK = "***"
_SECRET_KEYS = ("password", "sslpassword")
_KEYWORD = re.compile(r"\b(" + "|".join(_SECRET_KEYS) + r")\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.I)
_QUERY = re.compile(r"([?&](?:" + "|".join(_SECRET_KEYS) + r")=)([^&#]*)", re.I)


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme://, user information, the rest) of a URL with user information, else None."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    at = rest.rfind("@")
    if at < 0:
        return None
    return scheme + sep, rest[:at], rest[at:]


def redact_url(url: str) -> str:
    """*url* (or a `key=value` connection string) with every password replaced by `***`."""
    if "://" not in url:
        return _KEYWORD.sub(lambda m: f"{m.group(1)}={MASK}", url)
    text = url
    found = _userinfo(text)
    if found is not None:
        head, userinfo, rest = found
        user, colon, _ = userinfo.partition(":")
        text = head + user + (f":{MASK}" if colon else "") + rest
    return _QUERY.sub(lambda m: m.group(1) + MASK, text)


def secrets_in(url: str) -> tuple[str, ...]:
    """The passwords *url* carries, raw and percent-decoded (what a message may quote)."""
    out: list[str] = []
    found = _userinfo(url)
    if found is not None:
        _, userinfo, _ = found
        user, colon, password = userinfo.partition(":")
        if colon and password:
            out.append(password)
    if "://" in url:
        out += [m.group(2) for m in _QUERY.finditer(url)]
    else:
        out += [m.group(2).strip("'") for m in _KEYWORD.finditer(url)]
    secrets = {s for s in out if s} | {unquote(s) for s in out if s}
    return tuple(sorted((s for s in secrets if s and s != MASK), key=len, reverse=True))


def mask(text: str, secrets: Iterable[str]) -> str:
    """*text* with each of *secrets* replaced by `***` (longest first)."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class _Masked:
    """A text stream that writes through *stream* with the secrets masked."""

    def __init__(self, stream: TextIO, secrets: tuple[str, ...]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(mask(text, self._secrets))
        return len(text)

    def __getattr__(self, name: str):  # isatty, fileno, flush, encoding: the stream's own
        return getattr(self._stream, name)


@contextmanager
def redacting(urls: Iterable[str | None]) -> Iterator[None]:
    """While inside, stdout and stderr mask every secret of *urls*."""
    secrets = tuple(sorted({s for u in urls if u for s in secrets_in(u)}, key=len, reverse=True))
    if not secrets:
        yield
        return
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Masked(out, secrets), _Masked(err, secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
