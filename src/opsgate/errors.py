"""What can go wrong while probing, by phase: a finding about the target or a broken check.

A finding (`ProbeFailure`, and the verdict's `TargetFindings`) fails the check: FAILED in pytest,
junit, allure and the summary. A check that cannot run as configured (`ProbeConfigError`) and a bug
inside opsgate (`OpsgateError`) are errors: BROKEN. `ProbeFailure` is deliberately not an
AssertionError, so an `assert` tripping inside a probe is never taken for a finding; the plugin
retells a ProbeFailure as an assertion (`as_assertion`) only when it reports it.
"""

from __future__ import annotations


class ProbeFailure(Exception):
    """The target answered wrongly or not at all: a finding, so the check reads FAILED."""


class Unreachable(ProbeFailure):
    """No connection: refused, unresolvable name, network unreachable."""


class ProbeTimeout(ProbeFailure):
    """The target did not answer within the timeout."""


class TlsFailure(ProbeFailure):
    """The TLS handshake failed: expired, untrusted or wrongly named certificate."""


class ProtocolFailure(ProbeFailure):
    """The target answered, but not in the protocol or format expected (bad JSON, loops)."""


class ProbeConfigError(Exception):
    """The check cannot run as configured (missing CA file, bad query): reads BROKEN, not FAILED."""


class OpsgateError(Exception):
    """A bug inside opsgate (a probe or judge raised something unexpected): BROKEN, naming opsgate."""


class TargetFindings(AssertionError):
    """The crit findings of a verdict: FAILED."""


_AS_ASSERTION: dict[type[ProbeFailure], type[AssertionError]] = {}


def as_assertion(error: ProbeFailure, message: str) -> AssertionError:
    """`error` with `message`, as pytest, junit and allure must see a finding: an AssertionError
    (allure reads any other exception as BROKEN), under the same name so the report reads the same."""
    kind = type(error)
    if kind not in _AS_ASSERTION:
        _AS_ASSERTION[kind] = type(kind.__name__, (kind, AssertionError),
                                   {"__module__": kind.__module__, "__qualname__": kind.__qualname__})
    return _AS_ASSERTION[kind](message)
