"""Profile model of a team's own check kinds: `custom: {SECTION: [targets]}`.

A custom target takes every key a target takes (name, suites, timeout, retries, runbook, ...) plus
any keys of its own, which its check reads with `setting()` and `threshold()`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict

from opsgate.targets import Target
from opsgate.units import Threshold, parse_duration, parse_number, parse_size, threshold_reader

_PARSERS = {"number": parse_number, "duration": parse_duration, "size": parse_size}
_MISSING = object()


class CustomTarget(Target):
    """A target of a check kind that lives in the team's own `checks/`."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: ClassVar[str] = "custom"

    def setting(self, key: str, default: Any = _MISSING) -> Any:
        """The value of one of the target's own keys; a missing key without default is a
        configuration error that names the key (the check reads BROKEN, not FAILED)."""
        value = (self.model_extra or {}).get(key, default)
        if value is _MISSING:
            from opsgate.errors import ProbeConfigError

            raise ProbeConfigError(f"target {self.name!r} needs the key {key!r} in the profile")
        return value

    def threshold(self, key: str, unit: Literal["number", "duration", "size"] = "number",
                  ) -> Threshold | None:
        """One of the target's own keys read as a threshold (`{warn, crit}` or a bare crit)."""
        value = self.setting(key, None)
        if value is None:
            return None
        try:
            return threshold_reader(_PARSERS[unit])(value)
        except ValueError as error:
            from opsgate.errors import ProbeConfigError

            raise ProbeConfigError(f"target {self.name!r}: {key}: {error}") from None
