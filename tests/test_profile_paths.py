"""Relative paths in a profile are read from the profile's directory and checked at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgate.profile import ProfileError, load_profile
from tests.conftest import RunChecks


def write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "production.yaml"
    path.write_text(text)
    return path


def test_relative_paths_resolve_against_the_profile_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ops = tmp_path / "ops"
    (ops / "certs").mkdir(parents=True)
    (ops / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    profile_path = write(ops, """
name: p
http: [{name: a, url: "https://127.0.0.1:1/", ca_bundle: certs/ca.pem}]
tls: [{name: t, host: 127.0.0.1, port: 1, ca_bundle: ./certs/../certs/ca.pem}]
backups: [{name: b, path: "dumps/*.sql.gz", max_age: 1d}]
""")
    monkeypatch.chdir(tmp_path)  # a different directory than the profile's
    profile, _ = load_profile(profile_path)
    assert profile.http[0].ca_bundle == str(ops / "certs" / "ca.pem")
    assert profile.tls[0].ca_bundle == str(ops / "certs" / "ca.pem")
    assert profile.backups[0].path == str(ops / "dumps" / "*.sql.gz")  # need not match yet


def test_a_missing_ca_bundle_is_a_profile_error_naming_the_resolved_path(tmp_path: Path) -> None:
    profile_path = write(tmp_path / "ops", """
name: p
redis: [{name: cache, url: "rediss://127.0.0.1:6380/0", ca_bundle: certs/missing.pem}]
""")
    with pytest.raises(ProfileError) as error:
        load_profile(profile_path)
    assert str(error.value) == (
        f"{profile_path}: redis[0].ca_bundle: file {tmp_path / 'ops' / 'certs' / 'missing.pem'} "
        f"does not exist (a relative path is read from the profile's directory, {tmp_path / 'ops'})"
    )


def test_the_demo_ca_bundle_may_not_exist_yet_because_the_demo_writes_it(tmp_path: Path) -> None:
    profile_path = write(tmp_path / "profiles", """
name: p
demo: {ca_bundle: ../reports/demo-ca.pem}
http: [{name: a, url: "https://127.0.0.1:1/", ca_bundle: ../reports/demo-ca.pem}]
""")
    profile, _ = load_profile(profile_path)
    assert profile.demo is not None and profile.demo.ca_bundle == str(tmp_path / "reports" / "demo-ca.pem")


def test_collect_only_catches_a_missing_ca_bundle(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    result = run_checks("""
        name: p
        http: [{name: a, url: "https://127.0.0.1:1/", ca_bundle: internal-ca.pem}]
    """, "--collect-only")
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        f"*profile.yaml: http?0?.ca_bundle: file {pytester.path / 'internal-ca.pem'} does not exist*"])
    assert "Traceback" not in result.stderr.str()
