"""Signed checkpoints: tamper evidence that holds against whoever can write the database.

The hash chain shows any change to a record *followed by* records that were not rewritten; it
cannot show the end removed, or the log rewritten from some record on, or a record forged at
the end with a valid hash: anyone who can write rows can compute hashes. A checkpoint is the
log's head (its record count and last hash, and when it was signed) signed with an Ed25519 key
the database's writers do not hold. `verify` against it proves the log still extends it: the
record it signed is still there with the same hash (a rewrite or truncation is found), and
the records after it are counted as not covered by any signature.

A Merkle tree (as Certificate Transparency keeps) would also prove one record's inclusion
without reading the whole log. It is not built: a diplosim log is read whole by whoever audits
it (a file or a database they can query; verify decodes about 50,000 records a second), so a
proof of inclusion saves nothing its users need; the chain plus a signed head gives the same
evidence of extension. See docs/operations.md.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from simulator import codec
from simulator.errors import DiplosimError
from simulator.store.base import EventStore, Verification

FORMAT = "diplosim-checkpoint/1"
_FIELDS = {"format", "count", "hash", "signed_at", "key", "signature"}


class CheckpointError(DiplosimError):
    """A key or checkpoint file cannot be read or written, or a log will not be signed."""


class ForgedCheckpoint(DiplosimError):
    """A checkpoint's signature does not verify with the key it is checked against."""


@attrs.frozen
class Checkpoint:
    """The head of a log (`count` records, the last one's `hash`) as signed at `signed_at` by
    the Ed25519 key whose public half is `key` (hex), with `signature` (hex)."""

    count: int
    hash: str
    signed_at: str
    key: str
    signature: str

    def message(self) -> bytes:
        """The bytes signed: the format, the head and the time, as canonical JSON."""
        signed = {"format": FORMAT, "count": self.count, "hash": self.hash}
        return codec.dumps({**signed, "signed_at": self.signed_at}).encode("utf-8")

    def to_json(self) -> str:
        return codec.dumps({"format": FORMAT, **attrs.asdict(self)})


def write_key_pair(path: str | Path) -> Path:
    """A new Ed25519 key: the private half to *path* (PEM, readable by its owner only), the
    public half to *path*.pub; neither file may exist yet. Returns the public key's path."""
    path = Path(path)
    public = path.with_name(path.name + ".pub")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for target in (path, public):
        if target.exists():
            raise CheckpointError(f"{target}: already exists; a key is never overwritten")
    _write_new(path, private_pem, 0o600)
    _write_new(public, public_pem, 0o644)
    return public


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = _load(path, serialization.load_pem_private_key, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = _load(path, serialization.load_pem_public_key)
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path}: not an Ed25519 public key")
    return key


def _load(path, loader, **options):
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return loader(data, **options)
    except (ValueError, TypeError):
        # Never the key's bytes in a message: only that the file is not a key.
        raise CheckpointError(f"{path}: not a PEM key file diplosim can read") from None


def sign(store: EventStore, key: Ed25519PrivateKey) -> Checkpoint:
    """A checkpoint of *store*'s head, signed with *key*, after verifying the whole log (a
    checkpoint vouches for what was checked; a log that fails is not signed)."""
    result = store.verify()
    if not result.ok:
        where = "" if result.first_bad_position is None else f" at {result.first_bad_position}"
        raise CheckpointError(
            f"{store.shown}: the log does not verify{where} ({result.reason}); not signed"
        )
    signed_at = datetime.now(UTC).isoformat(timespec="seconds")
    public = key.public_key().public_bytes_raw().hex()
    unsigned = Checkpoint(result.checked, result.last_hash, signed_at, public, "")
    return attrs.evolve(unsigned, signature=key.sign(unsigned.message()).hex())


def save(checkpoint: Checkpoint, path: str | Path) -> None:
    """Write *checkpoint* to *path* whole or not at all (a new file renamed into place)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(checkpoint.to_json() + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CheckpointError(f"{path}: cannot write: {exc.strerror}") from None


def load(path: str | Path) -> Checkpoint:
    """The checkpoint in *path*; CheckpointError naming the file and what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise CheckpointError(f"{path}: not a checkpoint (not JSON)") from None
    if not isinstance(data, dict) or set(data) != _FIELDS or data["format"] != FORMAT:
        raise CheckpointError(f"{path}: not a checkpoint ({FORMAT} with {sorted(_FIELDS)})")
    count, head = data["count"], data["hash"]
    if type(count) is not int or count < 0:
        raise CheckpointError(f"{path}: count must be a whole number >= 0")
    for name in ("hash", "key", "signature"):
        if not isinstance(data[name], str) or not _is_hex(data[name]):
            raise CheckpointError(f"{path}: {name} must be hexadecimal text")
    if not isinstance(data["signed_at"], str):
        raise CheckpointError(f"{path}: signed_at must be text")
    return Checkpoint(count, head, data["signed_at"], data["key"], data["signature"])


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdef" for c in text)


def check_signature(checkpoint: Checkpoint, key: Ed25519PublicKey, shown: str) -> None:
    """Raise ForgedCheckpoint unless *checkpoint* was signed by *key* (its file *shown*)."""
    try:
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except InvalidSignature:
        raise ForgedCheckpoint(
            f"the checkpoint's signature does not verify with {shown}: it was changed or "
            "signed with another key"
        ) from None


def verify(
    store: EventStore, checkpoint: Checkpoint, key: Ed25519PublicKey, shown: str
) -> Verification:
    """*store* verified against *checkpoint*, once its signature is checked with *key*."""
    check_signature(checkpoint, key, shown)
    return store.verify(extends=(checkpoint.count, checkpoint.hash))
