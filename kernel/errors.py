"""The domain error base every package raises.

Each error has a stable machine ``code`` and a ``kind`` that says what went wrong in terms the
HTTP layer maps to a status once, in one place (``gateway/errors.py``). Packages below the
gateway never know about status codes.
"""
from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every expected, explainable failure in the domain."""

    #: what went wrong, in words the HTTP layer maps to a status
    kind: ClassVar[str] = "invalid"
    #: a stable identifier clients can rely on; subclasses override it
    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.field:
            out["errors"] = {self.field: [self.detail]}
        out.update(self.extra)
        return out


class InvalidInput(DomainError):
    """Input that breaks a rule of the domain (422)."""

    kind = "invalid"
    code = "invalid_input"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it does (404)."""

    kind = "not_found"
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state, e.g. a wrong state transition (409)."""

    kind = "conflict"
    code = "conflict"


class PermissionDenied(DomainError):
    """The caller is known but may not do this (403)."""

    kind = "forbidden"
    code = "forbidden"


class Unavailable(DomainError):
    """A dependency (core, FX source, database) cannot answer now; retrying may help (503)."""

    kind = "unavailable"
    code = "unavailable"
