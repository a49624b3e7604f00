"""The listing area's exceptions: one base, each with a stable ``code`` and a kernel kind."""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput


class ListingError(DomainError):
    """Marker base of every listing error (catch this to catch any of them)."""

    code = "listing_error"


class InvalidListing(ListingError, InvalidInput):
    """A listing field breaks a rule (IPC format, territory code, TRL, prices...)."""

    code = "listing_invalid"


class TransitionRefused(ListingError, Conflict):
    """The action is not allowed from the listing's current state (the body says which state)."""

    code = "listing_transition_refused"


class PublicationBlocked(ListingError, Conflict):
    """The listing cannot be published yet: the body lists every missing check."""

    code = "listing_publication_blocked"


class VersionMismatch(ListingError, Conflict):
    """The listing changed since the version the caller read (optimistic concurrency)."""

    code = "listing_version_mismatch"


class NotEditable(ListingError, Conflict):
    """Only a draft can be edited; submit/return moves a listing back to draft for edits."""

    code = "listing_not_editable"


class ImportRejected(ListingError, InvalidInput):
    """A bulk import had errors; nothing was written. ``errors`` is keyed ``rows.N.field``."""

    code = "listing_import_rejected"
