"""Prometheus probe: one instant query (`GET /api/v1/query`), every series of the answer.

An empty vector, a NaN scalar or NaN series values are "no data" (never green). A query
Prometheus rejects (bad PromQL, a range vector) cannot run as configured: ProbeConfigError.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure
from opsgate.probes.http import HttpResponse
from opsgate.probes.metrics import MAX_BODY, MetricValues, Series, get
from opsgate.redact import clip
from opsgate.targets.metrics import MetricsTarget
from opsgate.units import format_size


def query(target: MetricsTarget, timeout: float) -> MetricValues:
    """Run the target's PromQL as an instant query and return each series' value."""
    base = (target.prometheus or "").rstrip("/")
    # A number of seconds: Prometheus parses "2.5" but rejects "2.5s" (durations take whole units).
    url = f"{base}/api/v1/query?{urlencode({'query': target.query, 'timeout': f'{timeout:g}'})}"
    response = get(target, url, timeout, accept="application/json")
    payload = _payload(response, target)
    data = payload.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    evidence = f"GET {url} -> {response.status}\n{clip(response.text, 4000)}"
    warnings = tuple(str(w) for w in payload.get("warnings") or ())
    if kind == "vector":
        series = tuple(_vector_series(item) for item in result or [])
        why = None if series else f"the query returned an empty vector: no series match {target.query}"
        return MetricValues("prometheus", base, series=series, no_data=why, evidence=evidence,
                            warnings=warnings)
    if kind == "scalar":
        return MetricValues("prometheus", base, series=(Series(_number(result[1])),),
                            evidence=evidence, warnings=warnings)
    raise ProbeConfigError(
        f"metrics {target.name}: the query returned a {kind}, not an instant vector or scalar: "
        + ("drop the range selector ([5m]) or wrap it in rate()/avg_over_time()" if kind == "matrix"
           else "write a query that yields numbers")
    )


def _payload(response: HttpResponse, target: MetricsTarget) -> dict[str, Any]:
    if response.status in (401, 403):  # whatever the body: a proxy's page or an API's JSON error
        raise ProbeConfigError(
            f"metrics {target.name}: Prometheus at {target.prometheus} refused the query "
            f"({response.status} {response.reason}{_error_of(response)}): check bearer_token / "
            "basic_auth / headers")
    if response.truncated:
        raise ProtocolFailure(
            f"GET {response.url}: the answer exceeded the {format_size(MAX_BODY)} opsgate reads from "
            f"Prometheus (status {response.status}); narrow the query to fewer series "
            "(sum by (...), topk) or aggregate with a recording rule")
    try:
        payload = json.loads(response.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or "status" not in payload:
        raise ProtocolFailure(
            f"GET {response.url}: status {response.status}, not a Prometheus API answer; is "
            f"{target.prometheus} the Prometheus base URL? Body starts {clip(response.text, 120)!r}")
    if payload["status"] != "success":
        error_type, error = payload.get("errorType", "error"), payload.get("error", "")
        if error_type == "timeout":
            raise ProbeTimeout(f"Prometheus at {target.prometheus} timed out running the query: {error}")
        if error_type in ("bad_data", "execution"):
            raise ProbeConfigError(
                f"metrics {target.name}: Prometheus rejected the query ({error_type}): {error}; "
                f"fix the PromQL: {target.query}")
        raise ProtocolFailure(f"Prometheus at {target.prometheus} failed the query ({error_type}): {error}")
    return payload


def _error_of(response: HttpResponse) -> str:
    """`: <error>` from a Prometheus-style JSON error body, or nothing."""
    try:
        payload = json.loads(response.body)
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    return f": {clip(str(error), 200)}" if error else ""


def _vector_series(item: dict[str, Any]) -> Series:
    labels = item.get("metric") or {}
    return Series(value=_number(item["value"][1]), labels=tuple(sorted(labels.items())))


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan
