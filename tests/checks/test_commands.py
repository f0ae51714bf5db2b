"""The commands check end to end: real commands (sh, cat of kubectl-shaped JSON), the plugin, messages."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.conftest import RunChecks

PODS = {"items": [
    {"metadata": {"name": "api-1"}, "status": {"phase": "Running"}},
    {"metadata": {"name": "api-2"}, "status": {"phase": "CrashLoopBackOff"}},
]}
HPA = {"spec": {"minReplicas": 2, "maxReplicas": 10},
       "status": {"currentReplicas": 10, "desiredReplicas": 14}}


def printing(tmp: Path, name: str, document: object) -> str:
    """A command printing `document` as JSON (as `kubectl get ... -o json` would)."""
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(document))
    return f"cat {shlex.quote(str(path))}"


def test_healthy_commands_pass(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    running = {"items": [PODS["items"][0]]}
    result = run_checks(f"""
        name: t
        commands:
          - name: pods-ready
            command: "{printing(pytester.path, 'pods', running)}"
            expect:
              json_path:
                - {{path: "len(items[?status.phase!='Running'])", equals: 0}}
                - {{path: "len(items)", min: 1}}
          - name: python-version
            command: python3 --version
            expect: {{output_matches: ["^Python 3\\\\."], output_forbids: [error]}}
    """, "-m", "daily")
    result.assert_outcomes(passed=2)


def test_a_crashing_pod_and_a_maxed_out_hpa_fail_with_what_was_seen(
    run_checks: RunChecks, pytester: pytest.Pytester
) -> None:
    result = run_checks(f"""
        name: t
        commands:
          - name: pods-ready
            command: "{printing(pytester.path, 'pods', PODS)}"
            runbook: "kubectl describe pod; kubectl logs --previous"
            expect:
              json_path: [{{path: "len(items[?status.phase!='Running'])", equals: 0}}]
          - name: hpa
            command: "{printing(pytester.path, 'hpa', HPA)}"
            expect:
              json_path: [{{path: status.desiredReplicas, max: 10}}]
    """)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*commands pods-ready: JSON len(items[[]?status.phase!='Running']): expected 0, got 1",  # [[] is a [
        "*Runbook: kubectl describe pod; kubectl logs --previous",
        "*commands hpa: JSON status.desiredReplicas: 14 is above the maximum 10.0",
    ])


def test_exit_status_output_patterns_and_non_json_fail(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        commands:
          - {name: deploy, command: "echo 'deployment failed: image pull' >&2; exit 1"}
          - name: audit
            command: "echo 'Found 2 known vulnerabilities in 1 package'; echo 'jinja2 3.1.2 GHSA-h5c8'"
            expect: {output_forbids: ["known vulnerabilit"], output_matches: ["No known vulnerabilities"]}
          - name: status
            command: "echo 'Project: kuya-comps'"
            expect: {json_path: [{path: status, equals: SUCCESS}]}
    """)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines_random([
        "*commands deploy: `echo * exit 1` exited with status 1, expected 0; it said 'deployment failed: "
        "image pull'",
        "*commands audit: 2 problem(s):",
        "*- output of `*` does not match /No known vulnerabilities/; it starts 'Found 2 known*",
        "*- output of `*` contains forbidden /known vulnerabilit/: 'Found 2 known vulnerabilities in 1 "
        "package'",
        "*commands status: output of `echo 'Project: kuya-comps'` is not JSON (*); it starts 'Project: "
        "kuya-comps\\n': ask the tool for JSON*",
    ])


def test_a_hung_command_fails_at_its_timeout(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        commands:
          - {name: logs-follow, command: "sleep 60", timeout: 1s}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*`sleep 60` did not finish within 1s and was stopped; raise the target's "
                                 "`timeout`, or bound the command*"])


def test_an_intrusive_command_runs_only_when_intrusive_checks_are_selected(run_checks: RunChecks) -> None:
    profile = """
        name: t
        commands:
          - {name: restart-worker, command: "true", intrusive: true}
          - {name: list, command: "true"}
    """
    run_checks(profile, "-m", "daily and not intrusive").assert_outcomes(passed=1, deselected=1)
    run_checks(profile, "-m", "intrusive").assert_outcomes(passed=1, deselected=1)


def test_a_secret_in_a_command_never_shows(run_checks: RunChecks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGATE_T_TOKEN", "tok-7fa9c2e1")
    result = run_checks("""
        name: t
        secrets: [OPSGATE_T_TOKEN]
        commands:
          - {name: api, command: "echo using ${OPSGATE_T_TOKEN}; exit 1"}
    """)
    result.assert_outcomes(failed=1)
    assert "tok-7fa9c2e1" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*commands api: `echo using *** exit 1` exited with status 1*"])


def test_profile_mistakes_are_usage_errors(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        commands:
          - {name: x, command: "  ", expect: {output_matches: ["("]}}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines_random([
        "*commands[[]0].command: expected a command such as 'kubectl get deploy -o json', got an empty "
        "string",
        "*commands[[]0].expect.output_matches: invalid regular expression '(':*",
    ])
