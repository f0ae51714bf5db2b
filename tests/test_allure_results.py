"""Allure results of a check run: complete, self-consistent, and free of plumbing containers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def allure_files(reports: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in (reports / "allure-results").iterdir():
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
        (attachment,) = found["attachments"]
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
