"""The shared core: the port, its adapters, the outbox and the event feed.

Public API for the services built on it::

    from gateway.core import enqueue, outbox_handlers, event_handlers, kick_dispatch
"""
from __future__ import annotations

from typing import Any

from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.core.feed import EventHandlers, event_handlers, pull_events
from gateway.core.outbox import (
    Message,
    NotReady,
    OutboxHandlers,
    dispatch,
    enqueue,
    outbox_handlers,
)
from gateway.core.port import CoreEvent, CorePort
from gateway.core.runtime import CoreRuntime, make_core

__all__ = [
    "CorePort", "CoreEvent", "CoreRejected", "CoreUnavailable", "make_core", "enqueue", "dispatch",
    "Message", "NotReady", "OutboxHandlers", "outbox_handlers", "EventHandlers", "event_handlers", "pull_events",
    "CoreRuntime", "init_app", "runtime", "kick_dispatch",
]

EXTENSION = "gateway.core"


def init_app(app: Any) -> None:
    from gateway.core.cli import core_cli
    from gateway.db import get_clock, get_db

    with app.app_context():
        app.extensions[EXTENSION] = CoreRuntime(app.config, get_db(), get_clock())
    app.cli.add_command(core_cli)


def runtime() -> CoreRuntime:
    from flask import current_app

    return current_app.extensions[EXTENSION]


def kick_dispatch() -> None:
    """For services that commit outside a request (CLI, jobs): deliver what they enqueued."""
    runtime().kick()
