"""Allure results of a check run: complete, self-consistent, and free of plumbing containers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from tests.browser import Chromium
from tests.conftest import RunChecks


def allure_files(reports: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in (reports / "allure-results").iterdir():
        if "-" not in path.name:  # environment.properties, executor.json, categories.json
            continue
        kind = path.name.rsplit("-", 1)[1].split(".")[0]  # result, container, attachment
        found.setdefault(kind, []).append(path)
    return found


def test_every_check_has_one_complete_result(run_checks: RunChecks, demo: DemoProcess,
                                             pytester: pytest.Pytester) -> None:
    result = run_checks(f"""
        name: allure
        http:
          - {{name: up, url: "{demo.http_url}/health", severity: critical,
              runbook: "https://runbooks.example/up"}}
          - {{name: down, url: "{demo.http_url}/status/503"}}
    """)
    result.assert_outcomes(passed=1, failed=1)
    files = allure_files(pytester.path / "reports")
    assert sorted(files) == ["attachment", "result"]  # the plumbing fixtures leave no container
    results = {r["name"]: (path, r) for path in files["result"]
               for r in [json.loads(path.read_text())]}
    assert sorted(results) == ["test_http[down]", "test_http[up]"]
    path, up = results["test_http[up]"]
    assert path.name == f"{up['uuid']}-result.json"
    labels = {(label["name"], label["value"]) for label in up["labels"]}
    assert {("severity", "critical"), ("feature", "http"), ("story", "up"), ("tag", "smoke"),
            ("suite", "test_http")} <= labels
    assert up["links"] == [{"type": "link", "url": "https://runbooks.example/up", "name": "runbook"}]
    assert up["status"] == "passed" and up["start"] <= up["stop"]
    _, down = results["test_http[down]"]
    assert down["status"] == "failed" and "status 503" in down["statusDetails"]["message"]
    for _, found in results.values():
        assert [a["name"] for a in found["attachments"]] == ["response", "measured values"]
        for attachment in found["attachments"]:
            assert (pytester.path / "reports" / "allure-results" / attachment["source"]).is_file()


def test_a_checks_own_fixtures_keep_their_containers(run_checks: RunChecks, demo: DemoProcess,
                                                     pytester: pytest.Pytester) -> None:
    (pytester.path / "checks").mkdir()  # the team's own checks, beside the profile
    (pytester.path / "checks" / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture
        def maintenance_window():
            yield "closed"
    """))
    (pytester.path / "checks" / "test_window.py").write_text(textwrap.dedent("""
        def test_window_is_closed(maintenance_window):
            assert maintenance_window == "closed"
    """))
    result = run_checks(f"""
        name: allure
        http: [{{name: up, url: "{demo.http_url}/health"}}]
    """)
    result.assert_outcomes(passed=2)
    files = allure_files(pytester.path / "reports")
    (container,) = [json.loads(path.read_text()) for path in files["container"]]
    assert [fixture["name"] for fixture in container["befores"]] == ["maintenance_window"]
    assert len(container["children"]) == 1


def _readable_run(run_checks: RunChecks, demo: DemoProcess, port: int) -> pytest.RunResult:
    return run_checks(f"""
        name: allure-readable
        description: what the Allure overview shows
        http:
          - {{name: degraded, url: "{demo.http_url}/status/503", runbook: "https://runbooks.example/d"}}
          - name: slowish
            url: {demo.http_url}/slow?ms=300
            expect: {{response_time: {{warn: 1s, crit: 2s}}}}
          - {{name: refused, url: "http://127.0.0.1:{port}/"}}
    """, "-m", "smoke")


def test_results_read_well_names_durations_tables_environment_categories(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    from tests.conftest import free_port

    _readable_run(run_checks, demo, free_port())
    results_dir = pytester.path / "reports" / "allure-results"
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in results_dir.glob("*-result.json"))}
    slowish = results["test_http[slowish]"]
    assert slowish["parameters"] == [{"name": "target", "value": "slowish"},
                                     {"name": "kind", "value": "http"}]
    assert slowish["stop"] - slowish["start"] >= 300, "the duration leaves out the probe's time"
    assert not [label for label in slowish["labels"] if label["name"].startswith("opsgate")]
    table = next(a for a in results["test_http[degraded]"]["attachments"] if a["name"] == "measured values")
    assert table["type"] == "text/csv"
    assert (results_dir / table["source"]).read_text().splitlines()[:2] == [
        "measured,value,warn,crit,level", "status,503,,expected 2xx,crit"]
    environment = (results_dir / "environment.properties").read_text()
    assert "profile=allure-readable\n" in environment and "suite=smoke\n" in environment
    assert json.loads((results_dir / "executor.json").read_text())["buildName"] == "allure-readable smoke"
    names = [c["name"] for c in json.loads((results_dir / "categories.json").read_text())]
    assert names[:3] == ["Target down or unreachable", "Profile or credentials wrong", "Threshold breached"]


def _text_once(browser: Chromium, wanted: str, seconds: float = 60.0) -> str:
    """The page's text once it shows `wanted` (or as it is when time is up)."""
    import time

    deadline = time.monotonic() + seconds
    text = browser.evaluate("document.body.innerText")
    while wanted not in text and time.monotonic() < deadline:
        time.sleep(0.2)
        text = browser.evaluate("document.body.innerText")
    return text


def test_allure3_html_shows_categories_and_names_in_chromium(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester, tmp_path: Path,
) -> None:
    """Built with the `allure` npm package (Allure 3) by scripts/allure-html.sh, read in Chromium.
    OPSGATE_SCREENSHOTS=docs refreshes docs/allure-*.png."""
    import os
    import shutil
    import subprocess
    import time

    from tests.conftest import REPO, free_port

    _readable_run(run_checks, demo, free_port())
    built = subprocess.run([str(REPO / "scripts" / "allure-html.sh"), str(pytester.path / "reports")],
                           capture_output=True, text=True, timeout=300, check=True)
    page = Path(built.stdout.strip())
    assert (pytester.path / "reports" / "allure-history.jsonl").is_file()  # carried to the next run
    wanted = os.environ.get("OPSGATE_SCREENSHOTS")
    with Chromium(timeout=60) as browser:
        browser.open(page.as_uri())
        overview = _text_once(browser, "allure-readable smoke")  # the app renders after load
        assert "opsgate allure-readable" in overview
        shots: dict[str, str] = {}
        for name, test in (("allure-refused.png", "test_http[refused]"),
                           ("allure-degraded.png", "test_http[degraded]")):
            browser.evaluate(f"""[...document.querySelectorAll('*')].filter(e => e.children.length == 0
                && e.textContent.trim() == '{test}')[0].click()""")
            shots[name] = _text_once(browser, "Category:")
            browser.screenshot(tmp_path / name)
            browser.evaluate("history.back()")
            time.sleep(0.5)
    assert "Category: Target down or unreachable" in shots["allure-refused.png"]
    degraded = shots["allure-degraded.png"]
    assert "Category: Threshold breached" in degraded and "<http target" not in degraded
    assert "target\napi" not in degraded and "target\ndegraded" in degraded
    if wanted:
        for name in ("allure-refused.png", "allure-degraded.png"):
            shutil.copy(tmp_path / name, REPO / wanted / name)
