"""docs/recipes/: each is parsed or verified by its real consumer, and the scripts run against
the demo target (the crontab line, the systemd unit's command, the pre-maintenance script)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from opsgate.demo import DemoProcess
from tests.conftest import REPO

RECIPES = REPO / "docs" / "recipes"
PYTEST = str(Path(sys.executable).parent / "pytest")


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_github_actions_gate_has_summary_annotations_and_artifacts() -> None:
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    assert {"deployment_status", "workflow_dispatch"} <= set(workflow[True])  # YAML reads `on:` as True
    steps = _steps(workflow)
    runs = " ".join(step.get("run", "") for step in steps)
    assert "pytest --profile=production -m smoke" in runs
    assert 'cat reports/summary.md >> "$GITHUB_STEP_SUMMARY"' in runs
    junit = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert junit["with"]["report_paths"] == "reports/junit.xml" and junit["if"] == "always()"
    artifact = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert {"reports/summary.html", "reports/allure-results/"} <= set(artifact["with"]["path"].split())
    assert artifact["if"] == "always()"


def test_gitlab_job_keeps_junit_and_html_always() -> None:
    job = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())["opsgate-smoke"]
    assert any("pytest --profile=production -m smoke" in line for line in job["script"])
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert "reports/summary.html" in job["artifacts"]["paths"]


def test_kubernetes_cronjob_forbids_overlap_and_pushes_metrics() -> None:
    cronjob = yaml.safe_load((RECIPES / "kubernetes-cronjob.yaml").read_text())
    assert (cronjob["apiVersion"], cronjob["kind"]) == ("batch/v1", "CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert re.fullmatch(r"(\S+ ){4}\S+", cronjob["spec"]["schedule"])
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["pytest"] and "--profile=production" in container["args"]
    assert any(arg.startswith("--pushgateway=http") for arg in container["args"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    for name in ("opsgate-daily.service", "opsgate-daily.timer"):
        shutil.copy(RECIPES / name, tmp_path / name)
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "opsgate-daily.service"),
                           str(tmp_path / "opsgate-daily.timer")], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.fixture
def ops_repo(tmp_path: Path, demo: DemoProcess) -> Path:
    """An ops repository as the recipes expect: profiles/production.yaml against the demo target."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "pytest.ini").write_text(f"[pytest]\ntestpaths = {REPO / 'checks'}\n")
    (tmp_path / "profiles" / "production.yaml").write_text(textwrap.dedent(f"""
        name: production
        http:
          - {{name: api, url: "{demo.http_url}/health", suites: [daily, premaintenance]}}
          - {{name: search, url: "{demo.http_url}/status/200", suites: [daily, premaintenance]}}
    """))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "pytest").symlink_to(PYTEST)
    (tmp_path / "reports").mkdir()
    return tmp_path


def _cron_command(ops: Path, tmp: Path) -> tuple[str, dict[str, str]]:
    lines = [line for line in (RECIPES / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    variables = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    (entry,) = [line for line in lines if not re.match(r"^[A-Z_]+=", line)]
    fields = entry.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(r"[0-9*/,-]+", f) for f in fields[:5]), entry
    variables.update(OPS=str(ops), LOCKS=str(tmp), TEXTFILES=str(tmp))
    return fields[5], {**os.environ, **variables}


def test_the_crontab_line_runs_the_daily_check_and_never_overlaps(ops_repo: Path, tmp_path: Path) -> None:
    command, environ = _cron_command(ops_repo, tmp_path)
    subprocess.run(["sh", "-c", command], env=environ, check=True, timeout=120)
    families = text_string_to_metric_families((tmp_path / "opsgate_daily.prom").read_text())
    success = {s.labels["target"]: s.value for f in families for s in f.samples
               if s.name == "opsgate_check_success"}
    assert success == {"api": 1, "search": 1}
    (tmp_path / "opsgate_daily.prom").unlink()
    with (tmp_path / "opsgate-daily.lock").open("w") as held:  # a run still going
        fcntl.flock(held, fcntl.LOCK_EX)
        overlapping = subprocess.run(["sh", "-c", command], env=environ, timeout=30)
    assert overlapping.returncode == 1 and not (tmp_path / "opsgate_daily.prom").exists()


def test_the_systemd_service_command_runs_the_daily_check(ops_repo: Path, tmp_path: Path) -> None:
    unit = (RECIPES / "opsgate-daily.service").read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    command = (exec_start.replace("/opt/ops", str(ops_repo)).replace("/run/lock", str(tmp_path))
               .replace("/var/lib/prometheus/node-exporter", str(tmp_path)))
    subprocess.run(shlex.split(command), cwd=ops_repo, check=True, timeout=120)
    assert "opsgate_check_success" in (tmp_path / "opsgate_daily.prom").read_text()


def test_the_premaintenance_script_saves_a_baseline_and_finds_what_got_worse(
    ops_repo: Path, demo: DemoProcess,
) -> None:
    script = str(RECIPES / "premaintenance.sh")

    def run(phase: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([script, phase], cwd=ops_repo, capture_output=True, text=True, timeout=120)

    before = run("before")
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[-1] == (
        "premaintenance: baseline saved to ./baselines/production-premaintenance.json")
    unchanged = run("after")
    assert unchanged.returncode == 0
    assert unchanged.stdout.splitlines()[-1] == "premaintenance: everything is back as it was"
    profile = ops_repo / "profiles" / "production.yaml"
    profile.write_text(profile.read_text().replace("/status/200", "/status/503"))
    broken = run("after")
    assert broken.returncode == 1
    assert "premaintenance: NOT back as it was: 1 check(s) worse, exit status 1" in broken.stderr
    summary = json.loads((ops_repo / "baselines" / "after-reports" / "summary.json").read_text())
    assert summary["baseline"]["worse"] == [{"check": "http[search]", "why": "outcome pass -> fail"}]
