"""No data and impossible values are never green: one row per way a value could slip past its limit.

Each row is a target of the profile below, read from a real server on loopback (fixed JSON answers,
the machine's PostgreSQL for a query returning NaN), and the failure line it must produce.
"""

from __future__ import annotations

import json

from tests.conftest import RunChecks
from tests.servers_echo import json_bodies

BODIES = {"/nan": json.dumps({"p95": float("nan")}), "/percent": json.dumps({"hit_rate": 5})}
# (row id, section, target in the profile, the failure line it must produce)
ROWS = [
    ("JSON path value NaN against max", "http",
     '{name: json-nan, url: "{base}/nan", expect: {json_path: [{path: p95, max: 500}]}}',
     "*http json-nan: JSON p95: is NaN, which no limit can judge: no data is never green*"),
    ("JSON metric NaN against max", "metrics",
     '{name: metric-nan, url: "{base}/nan", json_path: p95, max: 500ms, unit: ms}',
     "*metrics metric-nan: no data: p95 is NaN*"),
    ("SQL query value NaN against max", "databases",
     "{name: sql-nan, url: \"postgresql://postgres@127.0.0.1:5432/postgres\", connection_ratio: null, "
     "idle_in_transaction: null, longest_query: null, replication_lag: null, "
     "queries: [{name: nan, query: \"SELECT 'NaN'::float8\", max: 10}]}",
     "*databases sql-nan: no data: query 'nan' is NaN*no data is never green*"),
    ("ratio field published in percent", "metrics",
     '{name: ratio-5, url: "{base}/percent", json_path: hit_rate, unit: ratio, min: 40%}',
     "*metrics ratio-5: hit_rate is 5, outside 0..1, so it is not a ratio: the field may be a "
     "percentage; set 'unit: percent'*"),
    ("percent field read with unit: percent", "metrics",
     '{name: percent-5, url: "{base}/percent", json_path: hit_rate, unit: percent, min: 40%}',
     "*metrics percent-5: hit_rate is 5%, below the minimum 40% (crit)*"),
]


def profile(base: str) -> str:
    sections: dict[str, list[str]] = {}
    for _, section, target, _ in ROWS:
        sections.setdefault(section, []).append(target.replace("{base}", base))
    body = "".join(f"{section}:\n" + "".join(f"  - {t}\n" for t in targets)
                   for section, targets in sections.items())
    return f"name: false-green\ndefaults: {{timeout: 5s}}\n{body}"


def test_no_data_and_impossible_values_fail(run_checks: RunChecks) -> None:
    with json_bodies(BODIES) as port:
        result = run_checks(profile(f"http://127.0.0.1:{port}"), "-v")
    result.stdout.fnmatch_lines_random([line for *_, line in ROWS])
    result.assert_outcomes(failed=len(ROWS))
