"""What every list loader shares: decoding, the version id, and value clean-up."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .model import ListFormatError


def file_set_version(files: Sequence[tuple[str, bytes]]) -> str:
    """SHA-256 version id of a list's file set.

    One file: the SHA-256 of its bytes (what ``sha256sum`` prints). Several: the SHA-256 of a
    manifest of ``role:sha256`` lines sorted by role, so the id changes when any file changes and
    does not depend on the order the files were given in.
    """
    if len(files) == 1:
        return hashlib.sha256(files[0][1]).hexdigest()
    manifest = "\n".join(
        f"{role}:{hashlib.sha256(data).hexdigest()}" for role, data in sorted(files)
    )
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def decode(data: bytes, file: str) -> str:
    """Text of a list file: UTF-8 (BOM allowed), else Windows-1252 as older OFAC files use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ListFormatError(
            "neither UTF-8 nor Windows-1252 text", file=file, location=f"byte {exc.start}"
        ) from None


def clean(value: str | None, null: str = "-0-") -> str:
    """Whitespace-collapsed text, with the publisher's null marker as the empty string."""
    if value is None:
        return ""
    text = " ".join(value.split())
    return "" if text == null else text


def split_multi(value: str, sep: str = "|") -> tuple[str, ...]:
    """Non-empty, stripped parts of a multi-valued cell, in order, without duplicates."""
    return tuple(dict.fromkeys(p.strip() for p in value.split(sep) if p.strip()))
