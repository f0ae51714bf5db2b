"""Profile model of `metrics:` targets: one number (or one per series) from one of three sources.

- Prometheus: `prometheus: URL` + `query: PromQL` (instant query, every series judged);
- a JSON metrics endpoint: `url: URL` + `json_path: a.b.c`;
- a Prometheus text exposition (`/metrics`): `url: URL` + `select: 'name{label="v"}'`, optionally
  `divide_by: 'name{...}'` for a ratio (errors / total).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from opsgate.jsonpath import parse_path
from opsgate.targets import Strict, TlsClientTarget
from opsgate.targets._urls import endpoint
from opsgate.targets._validate import valid_regex
from opsgate.targets.http import BasicAuth, http_url
from opsgate.units import Threshold, parse_duration, parse_number, parse_size, threshold_of, threshold_reader

Unit = Literal["number", "ratio", "percent", "seconds", "ms", "bytes"]
# The values a unit can take at all: a value outside is a finding, a limit outside a profile error.
UNIT_RANGES: dict[str, tuple[float, float]] = {"ratio": (0.0, 1.0), "percent": (0.0, 100.0)}
# How a duration or size string converts into each unit; a unit missing here takes no such string.
_DURATION_SCALE = {"seconds": 1.0, "ms": 1000.0}
_SIZE_SCALE = {"bytes": 1.0}


def parse_quantity(value: object, unit: Unit = "number") -> float:
    """A threshold in `unit`: a bare number (or `80%`) as is; a duration (`300ms`) in seconds or
    milliseconds when `unit` is `seconds` or `ms`; a size (`500MB`) in bytes when `unit` is `bytes`.

    A duration or size with any other unit is an error: converted silently, `2s` would be compared
    with a value in another unit. With `unit: percent`, `80%` is 80; with `ratio` or `percent`, a limit
    the value can never reach (`max: 40` on a ratio) is an error.
    """
    try:
        number = parse_number(value)
    except ValueError:
        pass
    else:
        if unit == "percent" and isinstance(value, str) and value.strip().endswith("%"):
            number *= 100
        return _within_unit(number, value, unit)
    for parse, scales, what, units in ((parse_duration, _DURATION_SCALE, "a duration", "seconds or ms"),
                                       (parse_size, _SIZE_SCALE, "a size", "bytes")):
        try:
            quantity = parse(value)
        except ValueError:
            continue
        if unit not in scales:
            raise ValueError(f"{what} needs unit: {units}, got {value!r} with unit: {unit} "
                             f"(give a bare number in the unit, or set 'unit')")
        return quantity * scales[unit]
    raise ValueError(f"expected a number, a duration such as '300ms' or a size such as '500MB', "
                     f"got {value!r}")


def _within_unit(number: float, value: object, unit: Unit) -> float:
    low, high = UNIT_RANGES.get(unit, (-math.inf, math.inf))
    if not low <= number <= high:
        hint = " (write 40% or 0.4, or set 'unit: percent' for a 0-100 value)" if unit == "ratio" else ""
        raise ValueError(f"{value!r} is outside {low:g}..{high:g}, the range of unit: {unit}{hint}")
    return number


QuantityThreshold = threshold_of(parse_quantity)


def threshold_of_unit(value: object, unit: Unit, *, floor: bool = False) -> Threshold:
    """A `{warn, crit}` or bare threshold whose durations and sizes are converted into `unit`."""
    return threshold_reader(lambda limit: parse_quantity(limit, unit), floor=floor)(value)


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_SELECTOR = re.compile(rf"^\s*({_NAME})\s*(?:\{{(.*)\}})?\s*$", re.DOTALL)


class Matcher(Strict):
    """One label matcher of a selector: `label op "value"`, op one of = != =~ !~."""

    label: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a sample's labels satisfy this matcher (regexes are anchored, as in PromQL)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


class Selector(Strict):
    """A sample name and label matchers, parsed from `name{label="value",other=~"re"}`."""

    name: str
    matchers: tuple[Matcher, ...] = ()

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        return name == self.name and all(m.matches(labels) for m in self.matchers)

    def __str__(self) -> str:
        inner = ",".join(f'{m.label}{m.op}"{m.value}"' for m in self.matchers)
        return f"{self.name}{{{inner}}}" if inner else self.name


def parse_selector(text: str) -> Selector:
    """A Selector from PromQL selector syntax; ValueError saying what was expected."""
    match = _SELECTOR.match(text)
    if not match:
        raise ValueError(f"expected a selector such as 'http_requests_total{{status=~\"5..\"}}', "
                         f"got {text!r}")
    name, body = match.group(1), (match.group(2) or "").strip()
    matchers: list[Matcher] = []
    position = 0
    while position < len(body):
        found = _MATCHER.match(body, position)
        if not found:
            raise ValueError(f"cannot read the label matchers of {text!r} at {body[position:]!r} "
                             "(expected label=\"value\", label!=\"v\", label=~\"re\" or label!~\"re\")")
        label, op, value = found.group(1), found.group(2), found.group(3).replace('\\"', '"')
        if op in ("=~", "!~"):
            valid_regex(value, text)
        matchers.append(Matcher(label=label, op=op, value=value))
        position = found.end()
    return Selector(name=name, matchers=tuple(matchers))


# Written as PromQL selector text in a profile (the JSON Schema says so); read into a Selector.
SelectorText = Annotated[Selector, WithJsonSchema({"type": "string", "description": "a PromQL selector"})]


class MetricsTarget(TlsClientTarget):
    """One metric value judged against `min` and/or `max`."""

    kind: ClassVar[str] = "metrics"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    prometheus: str | None = None
    query: str | None = None
    url: str | None = None
    json_path: str | None = None
    select: SelectorText | None = None
    divide_by: SelectorText | None = None

    headers: dict[str, str] = {}
    basic_auth: BasicAuth | None = None
    bearer_token: str | None = None

    unit: Unit = "number"  # before min/max: their durations and sizes convert into it
    min: QuantityThreshold | None = None
    max: QuantityThreshold | None = None
    what: str | None = Field(default=None, max_length=200)

    @field_validator("prometheus", "url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @field_validator("min", "max", mode="before")
    @classmethod
    def _in_unit(cls, value: object, info: ValidationInfo) -> object:
        if "unit" not in info.data:  # a bad unit: its own error says so, no second one here
            return Threshold()
        if value is None:
            return None
        return threshold_of_unit(value, info.data["unit"], floor=info.field_name == "min")

    @field_validator("json_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)
        return value

    @field_validator("select", "divide_by", mode="before")
    @classmethod
    def _selectors(cls, value: object) -> object:
        return parse_selector(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> MetricsTarget:
        if self.min is None and self.max is None:
            raise ValueError("a metrics target needs 'min', 'max' or both (e.g. 'max: 0.01')")
        sources = [name for name, given in (
            ("prometheus", self.prometheus is not None), ("json_path", self.json_path is not None),
            ("select", self.select is not None)) if given]
        if len(sources) != 1:
            raise ValueError(
                "a metrics target reads exactly one source: 'prometheus' + 'query' (PromQL), "
                "'url' + 'json_path' (JSON metrics) or 'url' + 'select' (Prometheus text exposition)"
                + (f"; got {', '.join(sources)}" if sources else "")
            )
        self._source_keys(sources[0])
        return self

    def _source_keys(self, source: str) -> None:
        if source == "prometheus":
            if not self.query:
                raise ValueError("'prometheus' needs a PromQL 'query'")
            if self.url is not None or self.divide_by is not None:
                raise ValueError("'url' and 'divide_by' do not apply to a Prometheus query "
                                 "(divide inside the PromQL)")
            return
        if self.query is not None:
            raise ValueError("'query' needs 'prometheus: URL' (the Prometheus server)")
        if self.url is None:
            raise ValueError(f"'{source}' needs 'url', the metrics endpoint to read")
        if source == "json_path" and self.divide_by is not None:
            raise ValueError("'divide_by' applies to 'select' (text exposition), not to 'json_path'")

    @property
    def source(self) -> Literal["prometheus", "json", "exposition"]:
        if self.prometheus is not None:
            return "prometheus"
        return "json" if self.json_path is not None else "exposition"

    @property
    def endpoint(self) -> str:
        """The URL the probe reads."""
        return self.prometheus or self.url or ""

    @property
    def description_of_value(self) -> str:
        """How the value is named in messages: `what`, or the query, path or selector."""
        if self.what:
            return self.what
        if self.source == "prometheus":
            return f"query {self.query}"
        if self.source == "json":
            return f"{self.json_path}"
        ratio = f" / {self.divide_by}" if self.divide_by is not None else ""
        return f"{self.select}{ratio}"

    @property
    def host_key(self) -> str:
        return endpoint(self.endpoint)
