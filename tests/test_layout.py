"""Where a run's parts live, whatever directory it starts from; `--profile PATH` with a space."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgate.layout import BUILTIN_CHECKS, check_dirs, default_reports_dir, ops_root, spaced_profile_path
from tests.conftest import REPO, RunChecks

CANARY = """
from pathlib import Path
def test_canary():
    Path(__file__).with_name("canary-ran").write_text("the directory's own tests ran")
"""


def test_a_profile_in_profiles_belongs_to_the_repository_above_it(tmp_path: Path) -> None:
    (tmp_path / "checks").mkdir()
    profile = tmp_path / "profiles" / "production.yaml"
    assert ops_root(profile) == tmp_path
    assert default_reports_dir(profile) == tmp_path / "reports"
    assert check_dirs(profile) == [BUILTIN_CHECKS.resolve(), tmp_path / "checks"]
    assert ops_root(tmp_path / "ops" / "production.yaml") == tmp_path / "ops"


def test_the_builtin_checks_are_the_checkouts_checks_directory() -> None:
    assert BUILTIN_CHECKS.resolve() == REPO / "checks"
    assert check_dirs(REPO / "profiles" / "local.yaml") == [REPO / "checks"]  # not twice


@pytest.mark.parametrize(("args", "spaced"), [
    (["--profile", "/etc/ops/prod.yaml", "-m", "smoke"], "/etc/ops/prod.yaml"),
    (["--profile", "ops/prod.yml"], "ops/prod.yml"),
    (["--profile", "local", "-m", "smoke"], None),  # a name: pytest sees no path
    (["--profile=/etc/ops/prod.yaml"], None),
])
def test_a_spaced_profile_path_is_recognised(args: list[str], spaced: str | None) -> None:
    assert spaced_profile_path(args) == spaced


def test_a_spaced_profile_path_stops_before_anything_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_canary=CANARY)
    elsewhere = pytester.mkdir("elsewhere")
    profile = elsewhere / "production.yaml"
    profile.write_text("name: p\nhttp: [{name: a, url: 'http://127.0.0.1:1/'}]\n")
    result = pytester.runpytest_subprocess("--profile", str(profile), "-p", "no:cacheprovider")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: opsgate: write --profile={profile} (with '=')*nothing was run."])
    assert "Traceback" not in result.stderr.str()
    assert not (pytester.path / "canary-ran").exists()
    assert not (elsewhere / "reports").exists()


def test_a_spaced_profile_name_works_like_the_equals_form(
    run_checks: RunChecks, pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_canary=CANARY)
    (pytester.path / "profiles").mkdir()
    (pytester.path / "profiles" / "empty.yaml").write_text("name: empty\n")
    result = pytester.runpytest_subprocess("--profile", "empty", "--collect-only", "-q")
    assert result.ret == 5  # nothing to check, and the directory's own test was not collected
    assert "canary" not in result.stdout.str()
