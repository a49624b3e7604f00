"""Serve the gateway on loopback for the fault tests (a process of its own, so it can die).

    python -m tests.support.serve DATABASE_URL [PORT]

Prints ``ready PORT`` once listening (PORT 0, the default, lets the system choose a free port,
so no other process can take it between choosing and binding). ``GATEWAY_FAIL_AT`` in its environment makes it die at that
failure point (kernel/faults.py).
"""
from __future__ import annotations

import sys

from werkzeug.serving import make_server


def main(url: str, port: int) -> None:
    from gateway.app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "fault-test", "DATABASE_URL": url,
                      "LOG_LEVEL": "WARNING", "IDEMPOTENCY_STALE_SECONDS": 0})
    server = make_server("127.0.0.1", port, app, threaded=False)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
