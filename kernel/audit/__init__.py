"""The tamper-evident audit trail: an append-only hash chain of events."""
from kernel.audit.models import AuditChainHead, AuditEvent
from kernel.audit.service import ChainReport, canonical_json, chain_head, record_event, verify_chain

__all__ = [
    "AuditEvent", "AuditChainHead", "record_event", "verify_chain", "chain_head",
    "canonical_json", "ChainReport",
]
