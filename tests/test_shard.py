"""`--shard I/N`: CI matrix jobs each run a deterministic, disjoint part of the checks."""

from __future__ import annotations

import re

import pytest

from tests.conftest import RunChecks

PROFILE = """
    name: shards
    http:
""" + "".join(f"      - {{name: t{i}, url: 'http://127.0.0.1:9/{i}'}}\n" for i in range(7)) + """
    tls:
      - {name: t0, host: 127.0.0.1, port: 9}
"""


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if re.match(r"(?:checks/)?test_\w+\.py::", line)]


def test_shards_are_disjoint_cover_every_check_and_stay_the_same(run_checks: RunChecks) -> None:
    everything = collected(run_checks(PROFILE, "--collect-only", "-q"))
    assert len(everything) == 8
    parts = [collected(run_checks(PROFILE, "--collect-only", "-q", f"--shard={i}/3")) for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(everything)
    assert sorted(len(part) for part in parts) == [2, 3, 3]
    assert collected(run_checks(PROFILE, "--collect-only", "-q", "--shard=2/3")) == parts[1]


@pytest.mark.parametrize("given", ["0/2", "3/2", "x/y", "2"])
def test_a_shard_out_of_range_is_a_usage_error(run_checks: RunChecks, given: str) -> None:
    result = run_checks(PROFILE, "--collect-only", f"--shard={given}")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*expected I/N with 1 <= I <= N, such as 2/4*"])
