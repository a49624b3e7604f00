"""Named failure points, so that "the process died in the middle of X" is reproducible.

``failure_point("ledger.postings_inserted")`` does nothing unless the environment variable
``GATEWAY_FAIL_AT`` names that point; then the process exits at once with status 137 (as if
SIGKILLed: no exception handler, no rollback, no atexit, no flushing). ``name@N`` exits at the
Nth time the point is reached in this process. Fault tests (tests/integration/test_faults.py)
set it on a subprocess; production never sets it, and an unset variable costs one dict lookup.
"""
from __future__ import annotations

import os
from collections import Counter

ENV = "GATEWAY_FAIL_AT"
_hits: Counter[str] = Counter()


def failure_point(name: str) -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    point, _, nth = target.partition("@")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os._exit(137)
