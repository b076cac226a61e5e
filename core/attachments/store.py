"""Attachments on disk: a file's type read from its first bytes, and the bytes kept once per SHA-256 under the attachments directory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

#: What each recognised type's bytes start with (its "magic number"); WebP is RIFF….WEBP.
_MAGIC: tuple[tuple[str, bytes], ...] = (
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", b"%PDF-"),
)


def sniff(data: bytes) -> str | None:
    """The type of ``data`` from its first bytes (image/jpeg, image/png, image/webp, application/pdf), or None."""
    for media_type, magic in _MAGIC:
        if data.startswith(magic):
            return media_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_of(root: Path, sha256: str) -> Path:
    """``root/ab/cd/abcd…``: two levels of folders keep a directory's entries few."""
    return root / sha256[:2] / sha256[2:4] / sha256


def save(root: Path, data: bytes) -> str:
    """Keep ``data`` under its SHA-256 (once: the same bytes again are not written again); the hash.

    Written to a temporary file in the same folder and renamed, so a reader (on this node or another sharing
    the directory) never sees half a file."""
    sha256 = digest(data)
    target = path_of(root, sha256)
    if target.exists():
        return sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return sha256


def read(root: Path, sha256: str) -> bytes | None:
    try:
        return path_of(root, sha256).read_bytes()
    except FileNotFoundError:
        return None


def remove(root: Path, sha256: str) -> None:
    path_of(root, sha256).unlink(missing_ok=True)
