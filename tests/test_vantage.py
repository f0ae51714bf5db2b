"""Vantage points: `--dist each` runs every check from every xdist worker, each result says where."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks
from tests.probes.test_host import SSHD, SshServer

PROFILE = """
    name: vantage
    defaults: {{timeout: 3s}}
    http:
      - name: api
        url: {url}/status/${{VANTAGE_STATUS:-200}}
      - name: health
        url: {url}/health
"""


def worker(vantage: str, status: int) -> str:
    """An xdist popen worker standing for a probe host in region `vantage`; the demo route it
    asks for answers `status`, as a path that is broken from that region only would."""
    return f"--tx=popen//env:OPSGATE_VANTAGE={vantage}//env:VANTAGE_STATUS={status}"


def test_a_check_failing_from_one_vantage_point_only_says_so_everywhere(
    run_checks: RunChecks, pytester: pytest.Pytester, demo: DemoProcess,
) -> None:
    result = run_checks(PROFILE.format(url=demo.http_url), "--dist=each",
                        worker("eu-west", 503), worker("us-east", 200))
    assert result.ret == 1
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "FAIL  http?api? from eu-west: *503*",
        "SPLIT http?api?: fails from eu-west, passes from us-east",
    ])
    reports = pytester.path / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    seen = {(c["target"], c["vantage"]): c["outcome"] for c in summary["checks"]}
    assert seen == {("api", "eu-west"): "fail", ("api", "us-east"): "pass",
                    ("health", "eu-west"): "pass", ("health", "us-east"): "pass"}
    assert summary["totals"]["fail"] == 1 and summary["totals"]["pass"] == 3
    assert "- http[api]: fails from eu-west, passes from us-east" in (reports / "summary.md").read_text()
    junit = ET.parse(reports / "junit.xml")
    vantages = {p.get("value") for p in junit.iter("property") if p.get("name") == "opsgate_vantage"}
    assert vantages == {"eu-west", "us-east"}


def test_without_a_vantage_the_host_name_is_recorded(
    run_checks: RunChecks, pytester: pytest.Pytester, demo: DemoProcess,
) -> None:
    import socket

    run_checks(PROFILE.format(url=demo.http_url))
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert {c["vantage"] for c in summary["checks"]} == {socket.gethostname()}


def test_an_ssh_worker_is_a_vantage_point_named_by_its_host(
    run_checks: RunChecks, pytester: pytest.Pytester, demo: DemoProcess, tmp_path: Path,
) -> None:
    """xdist's `--tx ssh=…` against a loopback sshd: the worker runs the checks as a probe host would."""
    import socket
    import sys

    if not Path(SSHD).exists():
        pytest.fail("openssh-server is not installed: `bash .ci/run` installs it")
    with SshServer(tmp_path) as sshd:
        ssh = (f"--tx=ssh=probe1//ssh_config={sshd.ssh_config}//python={sys.executable}"
               f"//chdir={pytester.path}")
        result = run_checks(PROFILE.format(url=demo.http_url), "--dist=each", ssh,
                            worker("eu-west", 503))
    result.assert_outcomes(passed=3, failed=1)
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    seen = {(c["target"], c["vantage"]): c["outcome"] for c in summary["checks"]}
    assert seen[("api", "eu-west")] == "fail"
    assert seen[("api", socket.gethostname())] == "pass"
