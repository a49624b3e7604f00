"""Who is calling: the role and scope every access check reads."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    subcentre_id: int | None
    organisation_id: int | None
    locale: str
    via: str  # "token" or "session"

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (by id: no personal data in the chain)."""
        return f"user:{self.user_id}"
