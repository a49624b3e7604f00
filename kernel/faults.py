"""Named failure points: make "killed in the middle" reproducible (DECISIONS.md, Operations).

A step that matters for crash safety calls ``failure_point("area.step")``. When the environment
variable ``GATEWAY_FAIL_AT`` names that step, the process exits at once with status 137 (what a
SIGKILL looks like), skipping ``finally`` blocks, atexit handlers and any pending commit, exactly
as a crash would. ``name@N`` exits at the Nth time the point is reached in this process. Tests
run the command in a subprocess with the variable set, then run it again normally and check the
outcome; production never sets it, and an unset variable costs one dict lookup.
"""
from __future__ import annotations

import os
import sys
from collections import Counter

ENV_VAR = "GATEWAY_FAIL_AT"
EXIT_STATUS = 137
_hits: Counter[str] = Counter()


def failure_point(name: str) -> None:
    """Exit the process immediately if ``GATEWAY_FAIL_AT`` names ``name`` (``name@N``: the Nth hit)."""
    target = os.environ.get(ENV_VAR)
    if not target:
        return
    point, _, nth = target.partition("@")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        sys.stderr.write(f"failure point {name!r} reached: exiting with {EXIT_STATUS}\n")
        sys.stderr.flush()
        os._exit(EXIT_STATUS)
