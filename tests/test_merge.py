"""`opsgate merge`: shards of one gate (CI matrix jobs) joined into one summary with one verdict."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from opsgate.cli import main
from opsgate.demo import DemoProcess
from opsgate.merge import MergeError, combined_exit_status, merge
from tests.conftest import RunChecks

PROFILE = """
    name: sharded
    defaults: {{timeout: 3s}}
    http:
      - {{name: a, url: '{url}/health'}}
      - {{name: b, url: '{url}/status/200'}}
      - {{name: c, url: '{url}/status/503'}}
      - {{name: d, url: '{url}/status/204'}}
"""


def test_two_shards_merge_into_every_check_and_the_worst_verdict(
    run_checks: RunChecks, pytester: pytest.Pytester, demo: DemoProcess, tmp_path: Path,
) -> None:
    profile = PROFILE.format(url=demo.http_url)
    parts = [tmp_path / "shard-1", tmp_path / "shard-2"]
    codes = [run_checks(profile, f"--shard={i}/2", f"--reports-dir={part}").ret
             for i, part in enumerate(parts, 1)]
    assert sorted(codes) == [0, 1]  # `c` fails in one of the two shards
    status = main(["merge", *map(str, parts), "--out", str(tmp_path / "merged")])
    assert status == 1
    summary = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert sorted(check["target"] for check in summary["checks"]) == ["a", "b", "c", "d"]
    assert summary["totals"]["pass"] == 3 and summary["totals"]["fail"] == 1
    assert [part["exit_status"] for part in summary["parts"]] == codes
    markdown = (tmp_path / "merged" / "summary.md").read_text()
    assert markdown.startswith("## opsgate: FAILED") and "| fail | http | c |" in markdown
    junit = ET.parse(tmp_path / "merged" / "junit.xml").getroot()
    assert junit.tag == "testsuites" and junit.get("tests") == "4" and junit.get("failures") == "1"


@pytest.mark.parametrize("statuses, expected", [
    ([0, 0], 0), ([0, 1], 1), ([1, 2], 2), ([4, 1], 4), ([2, 3], 3), ([5, 0], 0), ([5, 5], 5),
])
def test_the_merged_exit_status_is_the_worst_part(statuses: list[int], expected: int) -> None:
    assert combined_exit_status(statuses) == expected


def test_a_directory_without_a_summary_is_named(tmp_path: Path) -> None:
    with pytest.raises(MergeError, match=r"shard/summary.json: no summary.json: is .*shard a reports"):
        merge([tmp_path / "shard"], tmp_path / "out")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "summary.json").write_text('{"schema": "something/1"}')
    with pytest.raises(MergeError, match=r"not an opsgate summary"):
        merge([tmp_path / "other"], tmp_path / "out")
    assert main(["merge", str(tmp_path / "other"), "--out", str(tmp_path / "out")]) == 4
