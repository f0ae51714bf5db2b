"""Metrics probe: a JSON metrics endpoint or a Prometheus text exposition (`/metrics`).

`probe` is the check's entry point for every `metrics:` target; Prometheus queries go to
`opsgate.probes.prometheus` (imported only then). Facts only: the values found, or the reason there
is no data ("no data" is a finding, never a green value).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from opsgate.errors import ProtocolFailure
from opsgate.jsonpath import PathMissing, lookup
from opsgate.probes.http import HttpResponse, fetch
from opsgate.redact import clip
from opsgate.targets.http import HttpTarget
from opsgate.targets.metrics import MetricsTarget, Selector
from opsgate.verdict import describe

MAX_BODY = 32 * 1024 * 1024


@dataclass(frozen=True)
class Series:
    """One value with its labels (empty for a single unlabelled value); NaN means no data."""

    value: float
    labels: tuple[tuple[str, str], ...] = ()

    def label_text(self) -> str:
        """`{status="500",path="/x"}` or an empty string."""
        if not self.labels:
            return ""
        return "{" + ",".join(f'{k}="{v}"' for k, v in self.labels) + "}"


@dataclass(frozen=True)
class MetricValues:
    """What a metrics source answered: its series, or why there is no data, and the evidence."""

    source: str
    endpoint: str
    series: tuple[Series, ...] = ()
    no_data: str | None = None
    evidence: str = ""
    warnings: tuple[str, ...] = ()  # Prometheus' own: the answer may be partial (remote read failed, ...)


def probe(target: MetricsTarget, timeout: float) -> MetricValues:
    """Read the target's value(s) within `timeout` seconds from whichever source it names."""
    if target.source == "prometheus":
        from opsgate.probes.prometheus import query

        return query(target, timeout)
    response = get(target, target.url or "", timeout)
    if target.source == "json":
        return read_json(target, response)
    return read_exposition(target, response)


def get(target: MetricsTarget, url: str, timeout: float, accept: str = "*/*") -> HttpResponse:
    """GET `url` with the target's auth and TLS settings, through the HTTP probe's error mapping."""
    request = HttpTarget(
        name=target.name, url=url, headers={"Accept": accept, **target.headers},
        basic_auth=target.basic_auth, bearer_token=target.bearer_token,
        ca_bundle=target.ca_bundle, insecure=target.insecure, max_body=MAX_BODY,
    )
    return fetch(request, timeout)


def _require_ok(response: HttpResponse) -> None:
    if not 200 <= response.status < 300:
        raise ProtocolFailure(
            f"GET {response.url}: status {response.status} {response.reason}, expected 2xx from the "
            f"metrics endpoint; body starts {clip(response.text, 160)!r}"
        )


def read_json(target: MetricsTarget, response: HttpResponse) -> MetricValues:
    """The number at the target's `json_path`; no data when the path is missing or not a number."""
    _require_ok(response)
    document = response.json()
    path = target.json_path or ""
    evidence = response.evidence()
    try:
        value = lookup(document, path)
    except PathMissing as missing:
        return MetricValues("json", response.url, no_data=f"JSON path {missing}", evidence=evidence)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MetricValues("json", response.url, evidence=evidence,
                            no_data=f"JSON path {path} is {describe(value)}, not a number")
    return MetricValues("json", response.url, series=(Series(float(value)),), evidence=evidence)


def read_exposition(target: MetricsTarget, response: HttpResponse) -> MetricValues:
    """The sum of the samples the selector matches, divided by `divide_by`'s sum when given."""
    _require_ok(response)
    samples, names = parse_exposition(response)
    evidence = _exposition_evidence(response, target)
    assert target.select is not None
    numerator, why = _sum(target.select, samples, names, absent_is_zero=target.divide_by is not None)
    if why:
        return MetricValues("exposition", response.url, no_data=why, evidence=evidence)
    if target.divide_by is None:
        return MetricValues("exposition", response.url, series=(Series(numerator),), evidence=evidence)
    denominator, why = _sum(target.divide_by, samples, names, absent_is_zero=False)
    if why:
        return MetricValues("exposition", response.url, no_data=why, evidence=evidence)
    if denominator == 0:
        return MetricValues("exposition", response.url, evidence=evidence,
                            no_data=f"{target.divide_by} is 0, so the ratio is undefined "
                                    "(no traffic counted yet)")
    return MetricValues("exposition", response.url, series=(Series(numerator / denominator),),
                        evidence=evidence)


Sample = tuple[str, dict[str, str], float]


def parse_exposition(response: HttpResponse) -> tuple[list[Sample], set[str]]:
    """Every sample of a text exposition, and every sample name its families declare."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: list[Sample] = []
    names: set[str] = set()
    try:
        for family in text_string_to_metric_families(response.text):
            names.update(_declared_names(family.name, family.type))
            for sample in family.samples:
                names.add(sample.name)
                samples.append((sample.name, dict(sample.labels), float(sample.value)))
    except (ValueError, TypeError, IndexError) as exc:
        raise ProtocolFailure(
            f"GET {response.url}: not a Prometheus text exposition ({exc}); body starts "
            f"{clip(response.text, 120)!r}"
        ) from None
    return samples, names


def _declared_names(family: str, kind: str) -> set[str]:
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count"),
                "summary": ("_sum", "_count"), "gaugehistogram": ("_bucket", "_gsum", "_gcount")}
    return {family, *(family + s for s in suffixes.get(kind, ()))}


def _sum(
    selector: Selector, samples: list[Sample], names: set[str], *, absent_is_zero: bool,
) -> tuple[float, str | None]:
    """The sum of matching samples, or why there is no data.

    A name the exposition does not declare is always "no data" (a typo or a missing
    instrumentation). A declared name with no matching series is no data too, except for the
    numerator of a ratio (`absent_is_zero`): error counters appear only after the first error.
    """
    if selector.name not in names:
        similar = difflib.get_close_matches(selector.name, sorted(names), n=3, cutoff=0.6)
        hint = f" (similar: {', '.join(similar)})" if similar else ""
        return math.nan, f"no metric named {selector.name} in the exposition{hint}"
    matched = [value for name, labels, value in samples if selector.matches(name, labels)]
    if not matched:
        if absent_is_zero:
            return 0.0, None
        return math.nan, f"{selector} matches no series in the exposition"
    return math.fsum(matched), None


def _exposition_evidence(response: HttpResponse, target: MetricsTarget) -> str:
    wanted = {s.name for s in (target.select, target.divide_by) if s is not None}
    lines = [line for line in response.text.splitlines()
             if any(line.startswith(n) or f" {n} " in line for n in wanted)]
    return f"GET {response.url} -> {response.status}\n" + "\n".join(lines[:200])
