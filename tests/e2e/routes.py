"""Walks the app's URL map: every (rule, method) with the access rule it declares."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.app import FRAMEWORK_PUBLIC_ENDPOINTS
from gateway.auth.access import AccessRule, rule_for

SKIP_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    endpoint: str
    rule: AccessRule | None

    def url(self, fill: str = "1") -> str:
        return re.sub(r"<(?:[^:>]+:)?[^>]+>", fill, self.path)


def all_routes(app: Any) -> list[Route]:
    out = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            out.append(Route(rule.rule, method, rule.endpoint, rule_for(view, method)))
    return sorted(out, key=lambda r: (r.path, r.method))


def guarded_routes(app: Any) -> list[Route]:
    return [r for r in all_routes(app) if r.rule is not None and not r.rule.public]


def is_framework_public(route: Route) -> bool:
    return route.endpoint in FRAMEWORK_PUBLIC_ENDPOINTS
