"""Configuration from the environment, with one table of settings (see README)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(os.environ.get("GATEWAY_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": f"sqlite:///{INSTANCE_DIR / 'gateway.db'}",
    "SECRET_KEY": None,
    "CORE_URL": None,  # unset: the embedded core; set: the HTTP adapter talks to it
    "CORE_TOKEN": None,  # shared secret bearer between the gateway and `core serve`
    "CORE_CONNECT_TIMEOUT": 3.05,
    "CORE_READ_TIMEOUT": 10.0,
    "CORE_RETRIES": 3,
    "CORE_BACKOFF_SECONDS": 0.5,
    "CORE_BREAKER_FAILURES": 5,
    "CORE_BREAKER_RESET_SECONDS": 30.0,
    "CORE_DISPATCH_AFTER_COMMIT": None,  # thread | inline | off (default: thread; inline in tests)
    "CORE_DISPATCH_INLINE_BATCH": 10,
    "CORE_OUTBOX_MAX_AGE_SECONDS": 900,  # /readyz says degraded when an undelivered message is older
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "IDEMPOTENCY_TTL_HOURS": 24,
    "IDEMPOTENCY_STALE_SECONDS": 120,
    "DB_PING_AFTER_IDLE_SECONDS": 5,  # ping a pooled connection before use only after this idle
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "TOKEN_RATE_LIMIT": "10 per minute",  # tokens a signed-in user may issue (POST /api/v1/tokens)
    "TOKEN_DEFAULT_DAYS": 90,
    "SESSION_COOKIE_SECURE": True,
    "BABEL_DEFAULT_LOCALE": "en",
    "LOG_LEVEL": "INFO",
    "FX_ECB_URL": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
    "FX_MAX_STALENESS_DAYS": 3,
    # compliance (None: the default in compliance/config.py, where each has its source note)
    "COMPLIANCE_SCREENING": None,  # JSON of ScreeningThresholds fields
    "COMPLIANCE_PAYMENT_THRESHOLD_USD_MINOR": None,
    "COMPLIANCE_STRUCTURING_WINDOW_DAYS": None,
    "COMPLIANCE_STRUCTURING_MIN_PAYMENTS": None,
    "COMPLIANCE_REGISTRATION_DUE_DAYS": None,
    "COMPLIANCE_EMBARGOED_COUNTRIES": None,  # comma-separated ISO alpha-2
    "COMPLIANCE_TAX_FILING_KINDS": None,  # comma-separated
    # JSON: sub-centre code (or "default") -> working days of a fixed-price notice period
    "TRADING_NOTICE_WORKING_DAYS": None,
}

# settings read from the environment, converted to the default's type
_INT_KEYS = {"MAX_CONTENT_LENGTH", "IDEMPOTENCY_TTL_HOURS", "IDEMPOTENCY_STALE_SECONDS",
             "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_MINUTES", "TOKEN_DEFAULT_DAYS",
             "FX_MAX_STALENESS_DAYS", "CORE_RETRIES", "CORE_BREAKER_FAILURES",
             "CORE_DISPATCH_INLINE_BATCH", "CORE_OUTBOX_MAX_AGE_SECONDS",
             "DB_PING_AFTER_IDLE_SECONDS"}
_FLOAT_KEYS = {"CORE_CONNECT_TIMEOUT", "CORE_READ_TIMEOUT", "CORE_BACKOFF_SECONDS",
               "CORE_BREAKER_RESET_SECONDS"}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE"}
_JSON_KEYS = {"TRADING_NOTICE_WORKING_DAYS"}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``GATEWAY_*`` / plain environment variables, then explicit overrides."""
    cfg = dict(DEFAULTS)
    for key in DEFAULTS:
        raw = os.environ.get(f"GATEWAY_{key}", os.environ.get(key))
        if raw is None:
            continue
        if key in _INT_KEYS:
            cfg[key] = int(raw)
        elif key in _FLOAT_KEYS:
            cfg[key] = float(raw)
        elif key in _BOOL_KEYS:
            cfg[key] = raw.lower() in ("1", "true", "yes", "on")
        elif key in _JSON_KEYS:
            cfg[key] = json.loads(raw)
        else:
            cfg[key] = raw
    if cfg["SECRET_KEY"] is None:
        secret_file = INSTANCE_DIR / "secret_key"
        if secret_file.exists():
            cfg["SECRET_KEY"] = secret_file.read_text().strip()
    cfg.update(overrides or {})
    if not cfg.get("SECRET_KEY") and not cfg.get("TESTING"):
        raise RuntimeError(
            "SECRET_KEY is not set: set GATEWAY_SECRET_KEY (or write instance/secret_key; "
            "`make run` does this for you). The gateway refuses to start without a real secret."
        )
    return cfg
