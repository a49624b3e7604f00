"""Named failure points: make "killed in the middle" reproducible (DECISIONS.md, Operations).

A step that matters for crash safety calls ``failure_point("area.step")``. When the environment
variable ``GATEWAY_FAIL_AT`` names that step, the process exits at once with status 137 (what a
SIGKILL looks like), skipping ``finally`` blocks, atexit handlers and any pending commit, exactly
as a crash would. Tests run the command in a subprocess with the variable set, then run it again
normally and check the outcome.
"""
from __future__ import annotations

import os
import sys

ENV_VAR = "GATEWAY_FAIL_AT"
EXIT_STATUS = 137


def failure_point(name: str) -> None:
    """Exit the process immediately if ``GATEWAY_FAIL_AT`` equals ``name``."""
    if os.environ.get(ENV_VAR) == name:
        sys.stderr.write(f"failure point {name!r} reached: exiting with {EXIT_STATUS}\n")
        sys.stderr.flush()
        os._exit(EXIT_STATUS)
