"""What can go wrong while probing, by phase: a finding about the target or a broken check."""

from __future__ import annotations


class ProbeFailure(AssertionError):
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
