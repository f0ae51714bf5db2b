"""--baseline: after a maintenance window, every check that got worse than before it."""

from __future__ import annotations

import json
import shutil

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def test_the_run_after_the_window_lists_what_got_worse(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    before = f"""
        name: maintenance
        http:
          - {{name: api, url: "{demo.http_url}/health"}}
          - name: search
            url: {demo.http_url}/slow?ms=1
            expect: {{response_time: {{warn: 5s, crit: 10s}}}}
          - {{name: admin, url: "{demo.http_url}/health"}}
          - {{name: steady, url: "{demo.http_url}/health"}}
    """
    assert run_checks(before).ret == 0
    saved = pytester.path / "before.json"
    shutil.copy(pytester.path / "reports" / "summary.json", saved)
    after = f"""
        name: maintenance
        http:
          - {{name: api, url: "{demo.http_url}/status/503"}}
          - name: search
            url: {demo.http_url}/slow?ms=1500
            expect: {{response_time: {{warn: 5s, crit: 10s}}}}
          - {{name: steady, url: "{demo.http_url}/health"}}
    """
    result = run_checks(after, f"--baseline={saved}")
    result.stdout.fnmatch_lines([
        "against the baseline of *: 3 worse",
        "  worse: http[[]api[]]: outcome pass -> fail",
        "  worse: http[[]search[]]: response time *ms -> 1.5*s",
        "  worse: http[[]admin[]]: pass in the baseline, not run now",
    ])
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert summary["baseline"]["path"] == str(saved)
    assert [w["check"] for w in summary["baseline"]["worse"]] == ["http[api]", "http[search]", "http[admin]"]
    assert "steady" not in json.dumps(summary["baseline"])


def test_an_unchanged_run_says_nothing_got_worse(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    profile = f"""
        name: same
        http: [{{name: api, url: "{demo.http_url}/health"}}]
    """
    run_checks(profile)
    shutil.copy(pytester.path / "reports" / "summary.json", pytester.path / "before.json")
    result = run_checks(profile, f"--baseline={pytester.path / 'before.json'}")
    result.stdout.fnmatch_lines(["against the baseline of *: nothing got worse"])


@pytest.mark.parametrize(("content", "message"), [
    (None, "*--baseline *missing.json: cannot read it: No such file or directory"),
    ("not json", "*--baseline *bad.json: not JSON: *"),
    ('{"checks": []}', "*--baseline *bad.json: not an opsgate summary.json*"),
])
def test_a_bad_baseline_is_a_usage_error(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester, content: str | None, message: str,
) -> None:
    path = pytester.path / ("missing.json" if content is None else "bad.json")
    if content is not None:
        path.write_text(content)
    profile = f"name: b\nhttp: [{{name: a, url: '{demo.http_url}/health'}}]\n"
    result = run_checks(profile, f"--baseline={path}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
