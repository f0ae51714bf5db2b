"""Human units in profiles: durations, byte sizes, rates and warn/crit thresholds."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

_DURATION_UNITS = {
    "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0,
}
_SIZE_UNITS = {
    "": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_NUMBER_WITH_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$")


def _split(text: str, what: str, example: str) -> tuple[float, str]:
    match = _NUMBER_WITH_UNIT.match(text)
    if not match:
        raise ValueError(f"expected a {what} such as {example!r}, got {text!r}")
    return float(match.group(1)), match.group(2).lower()


def as_float(value: int | float, what: str) -> float:
    """A YAML number as a float; an integer too large for one (`1` and 400 zeros) is a ValueError,
    where `float()` raises OverflowError, which pydantic does not turn into a validation error."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"expected a finite {what}, got an integer of {len(str(value))} digits") from None


def _finite(number: float, value: Any, what: str, *, negative: bool = False) -> float:
    """`number` when it is a real amount: never NaN or infinite (`.nan`, `1e999`), and not below
    zero unless a `negative` amount makes sense (durations and sizes never do)."""
    if not math.isfinite(number):
        raise ValueError(f"expected a finite {what}, got {value!r}")
    if number < 0 and not negative:
        raise ValueError(f"a {what} cannot be negative, got {value!r}")
    return number


def parse_duration(value: Any) -> float:
    """Seconds from `250ms`, `10s`, `2m`, `36h`, `7d`, `1w` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '500ms' or '10s', got {value!r}")
    if isinstance(value, int | float):
        number, unit = as_float(value, "duration"), "s"
    elif isinstance(value, str):
        number, unit = _split(value, "duration", "500ms")
        unit = unit or "s"
    else:
        raise ValueError(f"expected a duration such as '500ms' or '10s', got {value!r}")
    if unit not in _DURATION_UNITS:
        raise ValueError(
            f"unknown duration unit {unit!r} in {value!r} (use one of {', '.join(_DURATION_UNITS)})"
        )
    return _finite(number * _DURATION_UNITS[unit], value, "duration")


# The longest timeout a probe may have: beyond a day a gate is no gate, and the socket and lock
# timeouts underneath refuse values of about 2^63 ns (`timeout: 1000000d`: "Timeout value out of range").
TIMEOUT_MAX = 86400.0


def parse_timeout(value: Any) -> float:
    """A duration that can bound a network call: more than zero and at most TIMEOUT_MAX."""
    seconds = parse_duration(value)
    if not 0 < seconds <= TIMEOUT_MAX:
        raise ValueError(f"a timeout must be more than 0 and at most 1d, got {value!r}")
    return seconds


def parse_duration_limit(value: Any) -> float:
    """A duration threshold's limit, which needs its unit: `p95: 100` read as 100 s passes an
    endpoint the profile meant to hold to 100 ms. Zero is zero in any unit."""
    seconds = parse_duration(value)
    bare = not isinstance(value, str) or not _split(value, "duration", "500ms")[1]
    if seconds and bare:
        number = str(value).strip()
        raise ValueError(f"a duration limit needs a unit: write '{number}ms' or '{number}s', "
                         f"not the bare number {value!r}")
    return seconds


def parse_size(value: Any) -> float:
    """Bytes from `500MB`, `2GiB`, `512kb` or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '500MB', got {value!r}")
    if isinstance(value, int | float):
        return _finite(as_float(value, "size"), value, "size")
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as '500MB', got {value!r}")
    number, unit = _split(value, "size", "500MB")
    if unit not in _SIZE_UNITS:
        raise ValueError(f"unknown size unit {unit!r} in {value!r} (use B, kB, MB, GB, KiB, MiB, GiB)")
    return _finite(number * _SIZE_UNITS[unit], value, "size")


def parse_number(value: Any) -> float:
    """A plain number; a string like `80%` is read as 0.8."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return _finite(as_float(value, "number"), value, "number", negative=True)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            pass
        else:
            return _finite(number, value, "number", negative=True)
    raise ValueError(f"expected a number, got {value!r}")


def parse_ratio(value: Any) -> float:
    """A share of a whole, 0 to 1 (`0.8` or `80%`): `memory_ratio: {warn: 80, crit: 95}` would be a
    ceiling no ratio reaches, green for ever."""
    number = parse_number(value)
    if not 0 <= number <= 1:
        raise ValueError(f"a ratio is between 0 and 1: write 0.8 or '80%', got {value!r}")
    return number


def format_duration(seconds: float) -> str:
    """Short human text for a duration: `420ms`, `3.2s`, `5m`, `36h`, `12d`."""
    if seconds < 0.01:  # two significant digits: `4.6ms`, not `5ms` (nor `0.00456237s`)
        return f"{seconds * 1000:.2g}ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.3g}s"
    if seconds < 7200:
        return f"{seconds / 60:.3g}m"
    if seconds < 172800:
        return f"{seconds / 3600:.3g}h"
    return f"{seconds / 86400:.3g}d"


def format_size(size: float) -> str:
    """Short human text for a byte count, in binary units."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024:
            return f"{size:.4g}{unit}"
        size /= 1024
    return f"{size:.4g}TiB"


def format_number(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Threshold:
    """A warn and/or crit limit. Whether a limit is a ceiling or a floor is the check's choice."""

    warn: float | None = None
    crit: float | None = None

    def breach(self, value: float, *, floor: bool = False) -> str | None:
        """`"crit"`, `"warn"` or None for a value judged against this threshold. NaN (no data:
        0/0, a JSON `NaN`, a SQL `'NaN'`) is always `"crit"`: it compares false with every limit,
        and no data is never green."""
        if math.isnan(value):
            return "crit"

        def crosses(limit: float | None) -> bool:
            return limit is not None and (value < limit if floor else value > limit)

        if crosses(self.crit):
            return "crit"
        if crosses(self.warn):
            return "warn"
        return None


def threshold_limits(value: Any) -> dict[str, Any]:
    """The limits of a threshold as written, not yet parsed: `{warn, crit}` (either may be left out)
    or a bare value, which is the crit limit. Limits given as null are left out."""
    if isinstance(value, dict):
        unknown = set(value) - {"warn", "crit"}
        if unknown:
            raise ValueError(
                f"a threshold takes only 'warn' and 'crit', not {', '.join(sorted(unknown))}"
            )
        if not value:
            raise ValueError("a threshold needs 'warn', 'crit' or both")
        return {key: limit for key, limit in value.items() if limit is not None}
    return {"crit": value}


def threshold_reader(
    parse: Callable[[Any], float], *, floor: bool = False,
) -> Callable[[Any], Threshold]:
    """The reader of a threshold whose limits `parse` reads (a Threshold passes as it is). On a
    ceiling the warn limit comes before crit (warn <= crit), on a `floor` after (warn >= crit):
    inverted, the crit limit would be crossed first and the warning could never show."""
    def read(value: Any) -> Threshold:
        if isinstance(value, Threshold):
            return value
        limits = {key: parse(limit) for key, limit in threshold_limits(value).items()}
        warn, crit = limits.get("warn"), limits.get("crit")
        if warn is not None and crit is not None and (warn < crit if floor else warn > crit):
            order = ("a floor (a minimum): warn must be at least crit" if floor else
                     "a ceiling (a maximum): warn must be at most crit")
            raise ValueError(f"warn {value['warn']!r} and crit {value['crit']!r} are inverted for "
                             f"{order}")
        return Threshold(warn=warn, crit=crit)

    return read


def _threshold_dump(threshold: Threshold) -> dict[str, float | None]:
    return {"warn": threshold.warn, "crit": threshold.crit}


class Limits(BaseModel):
    """A threshold as written, for the profile's JSON Schema: `{warn, crit}`."""

    model_config = ConfigDict(extra="forbid")
    warn: float | str | None = None
    crit: float | str | None = None


# What the JSON Schema accepts where a value takes a unit ("500ms", "1GB"), or a threshold.
_WITH_UNIT = float | str
THRESHOLD_INPUT = float | str | Limits


def threshold_of(parse: Callable[[Any], float], *, floor: bool = False) -> Any:
    reader = threshold_reader(parse, floor=floor)
    return Annotated[Threshold, BeforeValidator(reader, json_schema_input_type=THRESHOLD_INPUT),
                     PlainSerializer(_threshold_dump)]


Duration = Annotated[float, BeforeValidator(parse_duration, json_schema_input_type=_WITH_UNIT)]
Timeout = Annotated[float, BeforeValidator(parse_timeout, json_schema_input_type=_WITH_UNIT)]
Size = Annotated[float, BeforeValidator(parse_size, json_schema_input_type=_WITH_UNIT)]
# Ceilings (a value above crit fails) unless named a floor (a value below crit fails).
NumberThreshold = threshold_of(parse_number)
NumberFloor = threshold_of(parse_number, floor=True)
RatioThreshold = threshold_of(parse_ratio)
RatioFloor = threshold_of(parse_ratio, floor=True)
DurationThreshold = threshold_of(parse_duration_limit)
SizeThreshold = threshold_of(parse_size)
SizeFloor = threshold_of(parse_size, floor=True)
