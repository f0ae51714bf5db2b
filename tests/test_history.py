"""reports/history.sqlite across real runs: newly failing, recovered, flapping, trends."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def _profile(demo: DemoProcess, path: str) -> str:
    return f"""
        name: history
        http:
          - name: api
            url: {demo.http_url}/{path}
            expect: {{response_time: {{warn: 2s, crit: 5s}}}}
          - {{name: steady, url: "{demo.http_url}/health"}}
    """


def test_runs_say_what_is_newly_failing_recovered_and_flapping(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    reports = pytester.path / "reports"
    first = run_checks(_profile(demo, "health"))
    assert "newly failing" not in first.stdout.str()
    second = run_checks(_profile(demo, "status/503"))
    second.stdout.fnmatch_lines(["newly failing: http[[]api[]]"])
    third = run_checks(_profile(demo, "health"))
    third.stdout.fnmatch_lines(["recovered: http[[]api[]]"])
    assert "flapping:" not in third.stdout.str()  # one failure between passes is a blip
    fourth = run_checks(_profile(demo, "status/503"))
    fourth.stdout.fnmatch_lines(["newly failing: http[[]api[]]",
                                 "flapping: http[[]api[]] failed in 2 of the last 4 runs"])

    summary = json.loads((reports / "summary.json").read_text())
    assert summary["history"] == {
        "earlier_runs": 3, "newly_failing": ["http[api]"], "recovered": [],
        "flapping": [{"check": "http[api]", "failed": 2, "runs": 4}]}
    markdown = (reports / "summary.md").read_text()
    assert "flapping: http[api] failed in 2 of the last 4 runs" in markdown
    html = (reports / "summary.html").read_text()
    assert "flapping: http[api] failed in 2 of the last 4 runs" in html
    # Trends: api's judged response time has four points (a 503 is a response), drawn as a sparkline.
    assert 'alt="trend of response time"' in html
    with closing(sqlite3.connect(reports / "history.sqlite")) as db:
        outcomes = db.execute("SELECT r.outcome FROM results r JOIN runs ON runs.id = r.run_id "
                              "WHERE r.check_id = 'http[api]' ORDER BY runs.id").fetchall()
        values = db.execute("SELECT count(*) FROM measures WHERE check_id = 'http[api]' "
                            "AND measure = 'response time'").fetchone()
    assert [o for (o,) in outcomes] == ["pass", "fail", "pass", "fail"]
    assert values == (4,)


def test_history_is_kept_per_suite_and_can_be_off(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    run_checks(_profile(demo, "status/503"), "-m", "smoke")
    daily = run_checks(_profile(demo, "health"), "-m", "daily")
    assert "recovered" not in daily.stdout.str()  # another suite: nothing to recover from
    off = run_checks(_profile(demo, "health"), "--history=off", "--reports-dir=off-reports")
    assert "history" not in json.loads((pytester.path / "off-reports" / "summary.json").read_text())
    assert not (pytester.path / "off-reports" / "history.sqlite").exists()
    assert off.ret == 0
