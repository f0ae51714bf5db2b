"""The suites (pytest markers) a check can belong to; a profile may declare more of its own."""

from __future__ import annotations

SUITES = {
    "smoke": "post-deploy smoke gate: fast checks, no side effects, that decide whether a deploy stays",
    "daily": "the daily morning check",
    "weekly": "weekly tasks (certificates, security headers, capacity, webhook secrets)",
    "monthly": "monthly tasks",
    "quarterly": "quarterly tasks (restore drills, access reviews, capacity plans)",
    "premaintenance": "verification before a maintenance window",
}
INTRUSIVE = "sends traffic with side effects (test webhook events, load); opt in knowingly"
# A suite name is a pytest marker name: `-m NAME` must be able to select it.
SUITE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
