"""summary.json from real runs keeps to its published JSON Schema and to the rules of issue 12."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from importlib import resources
from typing import Any

import jsonschema
import pytest

from opsgate.demo import DemoProcess
from tests.conftest import REPO, free_port


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resources.files("opsgate").joinpath("summary.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def mixed_run(
    tmp_path_factory: pytest.TempPathFactory, demo: DemoProcess, broken_demo: DemoProcess,
) -> tuple[dict[str, Any], str]:
    """One run with every outcome but error: pass, warn, fail with and without a response, and
    whatever the local PostgreSQL says of slow statements (a skip without pg_stat_statements)."""
    workdir = tmp_path_factory.mktemp("mixed")
    (workdir / "profile.yaml").write_text(textwrap.dedent(f"""
        name: mixed
        defaults: {{timeout: 2s}}
        http:
          - {{name: up, url: "{demo.http_url}/health", runbook: "https://runbooks.example/up"}}
          - {{name: degraded, url: "{broken_demo.http_url}/health", expect: {{status: 200}}}}
          - {{name: refused, url: "http://127.0.0.1:{free_port()}/", retries: 1}}
          - name: slowish
            url: {demo.http_url}/slow?ms=150
            expect: {{response_time: {{warn: 50ms, crit: 5s}}}}
        databases:
          - name: postgres
            url: postgresql://postgres@127.0.0.1:5432/postgres
            slow_statement_mean: 2s
    """))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"--rootdir={REPO}", f"--profile={workdir / 'profile.yaml'}",
         f"--reports-dir={workdir / 'reports'}", "-p", "no:cacheprovider", str(REPO / "checks")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    return json.loads((workdir / "reports" / "summary.json").read_text()), done.stdout


def _record(summary: dict[str, Any], check: str, target: str) -> dict[str, Any]:
    return next(c for c in summary["checks"] if c["check"] == check and c["target"] == target)


def test_a_real_run_validates_against_the_published_schema(mixed_run: tuple[dict[str, Any], str]) -> None:
    summary, _ = mixed_run
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in _validator().iter_errors(summary)]
    assert errors == []
    assert {c["outcome"] for c in summary["checks"]} >= {"pass", "warn", "fail"}


def test_retried_is_a_list_and_empty_without_retries(mixed_run: tuple[dict[str, Any], str]) -> None:
    summary, _ = mixed_run
    assert _record(summary, "http", "up")["retried"] == []
    assert _record(summary, "http", "degraded")["retried"] == []
    retried = _record(summary, "http", "refused")["retried"]
    assert len(retried) == 1 and retried[0].startswith("attempt 1: GET http://127.0.0.1:")


def test_a_failure_before_any_response_has_its_reason_as_a_finding(
    mixed_run: tuple[dict[str, Any], str],
) -> None:
    refused = _record(mixed_run[0], "http", "refused")
    assert refused["outcome"] == "fail" and refused["measurements"] == []
    assert len(refused["findings"]) == 1 and refused["findings"][0]["level"] == "crit"
    assert "connection refused" in refused["findings"][0]["message"]


def test_a_measured_503_is_not_level_ok(mixed_run: tuple[dict[str, Any], str]) -> None:
    degraded = _record(mixed_run[0], "http", "degraded")
    status = next(m for m in degraded["measurements"] if m["name"] == "status")
    assert (status["value"], status["level"], status["crit_display"]) == (503, "crit", "200")
    up = _record(mixed_run[0], "http", "up")
    assert next(m for m in up["measurements"] if m["name"] == "status")["level"] == "ok"


def test_messages_have_one_style_without_a_kind_and_target_prefix(
    mixed_run: tuple[dict[str, Any], str],
) -> None:
    summary, _ = mixed_run
    messages = {(c["check"], c["target"]): c["message"] for c in summary["checks"] if c["message"]}
    assert len(messages) >= 2  # the 503 (a verdict) and the refused connection (a probe failure)
    prefixed = [m for (_, target), m in messages.items() if re.match(rf"\w+ {re.escape(target)}: ", m)]
    assert prefixed == []
    assert _record(summary, "http", "up")["runbook"] == "https://runbooks.example/up"


def test_the_terminal_shows_the_same_durations_as_the_summary(
    mixed_run: tuple[dict[str, Any], str],
) -> None:
    summary, stdout = mixed_run
    line = next(text for text in stdout.splitlines() if text.startswith("slowest checks: "))
    shown = dict(re.findall(r"(\w+\[[^\]]+\]) ([0-9.]+)s", line))
    assert shown, line
    for name, seconds in shown.items():
        check, target = name[:-1].split("[")
        assert f"{_record(summary, check, target)['duration_s']:.2f}" == seconds


def test_the_schema_rejects_the_old_shapes() -> None:
    """The rules above are in the schema, not only in these tests."""
    validator = _validator()
    check = {"id": "checks/test_http.py::test_http[a]", "check": "http", "target": "a", "outcome": "fail",
             "duration_s": 0.1, "retried": [], "measurements": [], "findings": [],
             "message": "GET http://a/: connection refused", "runbook": None, "waiver": None,
             "vantage": "eu-west"}
    schema_check = validator.schema["$defs"]["check"]
    nested = jsonschema.Draft202012Validator({**schema_check, "$defs": validator.schema["$defs"]})
    assert not nested.is_valid(check), "a failure without a finding must not validate"
    assert not nested.is_valid(check | {"findings": [{"level": "crit", "message": "x"}],
                                        "retried": "attempt 1: refused"})
    assert nested.is_valid(check | {"findings": [{"level": "crit", "message": "x"}]})
