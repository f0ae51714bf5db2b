"""docs/custom-checks.md's worked example, run as written: a team's own check kind in its ops
repository, on a `custom:` section, with the built-in runner, verdicts, reports and redaction."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import files_of_doc
from tests.servers import RedisServer

PASSWORD = "hb-pa55word-9931"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("heartbeat-redis"), password=PASSWORD) as server:
        yield server


@pytest.fixture
def ops_repo(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
             redis_server: RedisServer) -> Path:
    """The page's ops repository, with REDIS_URL pointing at the throwaway Redis."""
    monkeypatch.delenv("OPSGATE_PROFILE", raising=False)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    for name, text in files_of_doc("custom-checks.md").items():
        path = pytester.path / "ops" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    redis_server.client().delete("heartbeat:billing")
    return pytester.path / "ops"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--profile=ops/profiles/production.yaml",
                                         "-p", "no:cacheprovider", *args)


def beat(server: RedisServer, seconds_ago: float) -> None:
    server.client().set("heartbeat:billing", str(time.time() - seconds_ago))


def test_a_fresh_heartbeat_passes_in_the_smoke_suite(
    pytester: pytest.Pytester, ops_repo: Path, redis_server: RedisServer,
) -> None:
    beat(redis_server, 10)
    result = run(pytester, "-m", "smoke", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_heartbeats.py::test_heartbeats?billing-worker? PASSED*"])
    summary = json.loads((ops_repo / "reports" / "summary.json").read_text())
    [record] = summary["checks"]
    assert record["check"] == "heartbeats" and record["outcome"] == "pass"
    assert record["measurements"][0]["name"] == "heartbeat age"


def test_a_stale_heartbeat_fails_with_the_runbook_and_a_late_one_warns(
    pytester: pytest.Pytester, ops_repo: Path, redis_server: RedisServer,
) -> None:
    beat(redis_server, 420)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*heartbeats billing-worker: heartbeat age is 7*m, above the limit 5m (crit): "
        "look at the worker's log; restart it*",
        "*Runbook: https://wiki.example/runbooks/billing-worker*",
    ])
    beat(redis_server, 150)
    result = run(pytester)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*heartbeat age is 2.*m, above the limit 2m (warn)*"])


def test_a_missing_heartbeat_fails_with_what_to_look_at(
    pytester: pytest.Pytester, ops_repo: Path,
) -> None:
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no heartbeat: key 'heartbeat:billing' does not exist*"])


def test_an_unreachable_redis_fails_and_its_password_never_shows(
    pytester: pytest.Pytester, ops_repo: Path, monkeypatch: pytest.MonkeyPatch,
    redis_server: RedisServer,
) -> None:
    # A wrong password: the server answers, refuses, and the message must not quote the URL's secret.
    monkeypatch.setenv("REDIS_URL", redis_server.url.replace(PASSWORD, PASSWORD + "-wrong"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot read the heartbeat:*"])
    reports = ops_repo / "reports"
    texts = [result.stdout.str(), result.stderr.str()] + [
        path.read_bytes().decode("utf-8", "replace") for path in reports.rglob("*") if path.is_file()]
    assert not [text for text in texts if PASSWORD in text]


def test_a_target_without_its_key_is_broken_not_failed(
    pytester: pytest.Pytester, ops_repo: Path,
) -> None:
    profile = ops_repo / "profiles" / "production.yaml"
    profile.write_text(profile.read_text().replace("      key: heartbeat:billing\n", ""))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*target 'billing-worker' needs the key 'key' in the profile*"])
    summary = json.loads((ops_repo / "reports" / "summary.json").read_text())
    assert summary["checks"][0]["outcome"] == "error"


def test_a_custom_section_without_its_check_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "profiles").mkdir()
    (pytester.path / "profiles" / "production.yaml").write_text(
        "name: p\ncustom: {heartbeats: [{name: billing-worker}]}\n")
    result = pytester.runpytest_subprocess("--profile=profiles/production.yaml", "--collect-only",
                                           "-p", "no:cacheprovider")
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "*production.yaml: custom.heartbeats: no check reads this section (write "
        f"@check('heartbeats', probe=...) in {pytester.path / 'checks'}/test_heartbeats.py)"])
