"""Reading a statement file: size limit, sha256 and a first line of defence against DTDs.

Both parsers read through ``MeteredReader`` so the limit holds before anything is parsed, the
hash covers exactly the bytes read, and a file is never loaded whole just to measure it.
"""
from __future__ import annotations

import hashlib
import io
import os
from typing import BinaryIO, Union

from settlement.reconciliation.statements.errors import StatementTooLarge, UnsafeXml

#: Default largest file accepted. A camt.053 entry takes 1-2 KB, so this holds well over 100,000
#: entries; parsing streams, so memory does not grow with it. The import service may lower it.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

StatementSource = Union[bytes, bytearray, str, "os.PathLike[str]", BinaryIO]

# Declarations that only a DTD can carry, in the encodings a bank might use. Refused in the raw
# bytes so libxml2 never even parses the DTD; the parser checks the document's DTD again after
# decoding (for encodings this list misses).
_HOSTILE = tuple(
    token.encode(enc)
    for token in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(t) for t in _HOSTILE)


class MeteredReader(io.RawIOBase):
    """A read-only stream that hashes, counts and limits what passes through it."""

    def __init__(self, raw: BinaryIO, max_bytes: int, *, refuse_dtd: bool) -> None:
        super().__init__()
        self._raw = raw
        self._max = max_bytes
        self._refuse_dtd = refuse_dtd
        self._tail = b""
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        """Read up to ``size`` bytes, refusing the file once it passes the limit."""
        chunk = self._raw.read(size if size is not None and size >= 0 else -1)
        if not chunk:
            return b""
        self.size += len(chunk)
        if self.size > self._max:
            raise StatementTooLarge(f"the file is larger than the limit of {self._max} bytes",
                                    max_bytes=self._max)
        if self._refuse_dtd:
            window = (self._tail + chunk).upper()
            found = [window.find(t) for t in _HOSTILE if t in window]
            if found:
                raise UnsafeXml("DOCTYPE and entity declarations are not accepted in statements",
                                line=self._line_of(window, min(found)))
            self._tail = window[-_OVERLAP:]
        self.sha256.update(chunk)
        return bytes(chunk)

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read to the end so ``sha256`` and ``size`` cover the whole file."""
        while self.read(64 * 1024):
            pass

    def _line_of(self, window: bytes, at: int) -> int | None:
        # Only counted when the declaration is in the first chunk, where a prolog always is;
        # the ASCII newline count is only right for ASCII-compatible encodings.
        if self.size > len(window) or window[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return None
        return window.count(b"\n", 0, at) + 1


def open_source(source: StatementSource) -> tuple[BinaryIO, bool]:
    """Return a binary stream for ``source`` and whether the caller must close it.

    ``source`` is the file's bytes, a path (``str`` or path-like) or an open binary file.
    """
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    if hasattr(source, "read"):
        return source, False
    raise TypeError(f"a statement source is bytes, a path or a binary file, not {type(source)}")
