"""Profile models of `backups:` and `hosts:`: defaults, and errors that say what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.profile import ProfileError, load_profile
from opsgate.targets.backup import BackupTarget
from opsgate.targets.host import HostTarget


def error_of(model: Any, **fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate({"name": "t", **fields})
    return str(info.value)


def test_backup_defaults_are_the_seed_rpo_and_a_non_empty_file() -> None:
    target = BackupTarget.model_validate({"name": "b", "path": "data/*.db.backup"})
    assert target.max_age is not None and target.max_age.crit == 36 * 3600
    assert target.min_size is not None and target.min_size.crit == 1
    assert target.sqlite_check is None and target.effective_suites == ("daily",)
    assert BackupTarget.model_validate({"name": "b", "path": "x", "sqlite_integrity": True}).sqlite_check \
        == "quick_check"
    assert BackupTarget.model_validate({"name": "b", "path": "x", "sqlite_integrity": "full"}).sqlite_check \
        == "integrity_check"


def test_backup_relative_paths_resolve_against_the_given_directory(tmp_path: Path) -> None:
    target = BackupTarget.model_validate({"name": "b", "path": "data/*.db.backup"})
    assert target.resolved_pattern(tmp_path) == f"{tmp_path}/data/*.db.backup"
    assert BackupTarget.model_validate({"name": "b", "path": "/srv/b/*.gz"}).resolved_pattern(tmp_path) \
        == "/srv/b/*.gz"
    assert not BackupTarget.model_validate({"name": "b", "path": "~/b/*"}).resolved_pattern().startswith("~")


def test_backup_errors() -> None:
    assert "expected a file path or glob" in error_of(BackupTarget, path=" ")
    assert "expected a duration such as '500ms'" in error_of(BackupTarget, path="x", max_age="soon")
    assert "Extra inputs are not permitted" in error_of(BackupTarget, path="x", max_age_h=36)


def test_backup_options_defaults_and_ranges() -> None:
    target = BackupTarget.model_validate({"name": "b", "path": "x"})
    assert (target.gzip_integrity, target.show_newest, target.min_count) == (False, 10, None)
    for show in (1, 1000):
        target = BackupTarget.model_validate({"name": "b", "path": "x", "show_newest": show})
        assert target.show_newest == show
    for show in (0, 1001):
        assert f"expected 1..1000 files to list in the evidence, got {show}" in error_of(
            BackupTarget, path="x", show_newest=show)


@pytest.mark.parametrize(("path", "host_key"), [
    ("s3://backups/db/", "s3:aws"), ("s3://backups", "s3:aws"), ("/srv/b/*.gz", "localhost:files"),
    ("data/*.db", "localhost:files"),
])
def test_backup_paths_local_or_s3(path: str, host_key: str) -> None:
    target = BackupTarget.model_validate({"name": "b", "path": path})
    assert (target.object_store, target.host_key) == (path.startswith("s3://"), host_key)


@pytest.mark.parametrize("path", ["s3:///db/", "s3://", "http://backups.example/db/", "sftp://host/x"])
def test_backup_paths_that_are_neither(path: str) -> None:
    assert f"expected a local path or s3://bucket/prefix, got {path!r}" in error_of(BackupTarget, path=path)


def test_backup_s3_endpoint_and_region() -> None:
    target = BackupTarget.model_validate({"name": "b", "path": "s3://b/", "endpoint_url": "http://127.0.0.1:9000",
                                          "region": "eu-west-1"})
    assert target.host_key == "127.0.0.1:9000"
    assert "expected a S3 endpoint URL starting with http:// or https://" in error_of(
        BackupTarget, path="s3://b/", endpoint_url="ftp://127.0.0.1/")
    for key, value in (("endpoint_url", "http://127.0.0.1:9000"), ("region", "eu-west-1")):
        assert "'endpoint_url' and 'region' apply to s3:// paths" in error_of(BackupTarget, path="x",
                                                                               **{key: value})


def test_host_needs_something_to_check() -> None:
    assert "a hosts target checks nothing: give at least one of services, processes" in error_of(HostTarget)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"connection": "winrm://box", "processes": ["x"]}, "expected 'local://' or 'ssh://[user@]host[:port]'"),
    ({"connection": "ssh://", "processes": ["x"]}, "expected a host name in 'ssh://'"),
    ({"ssh_config": "/x", "processes": ["x"]}, "apply to ssh:// connections only"),
    ({"listening": ["6379"]}, "expected a socket such as 'tcp://127.0.0.1:6379'"),
    ({"listening": ["tcp://127.0.0.1:70000"]}, "expected a socket such as"),
    ({"disk_used_max": {"/": 90}}, "disk_used_max of / is a used ratio between 0 and 1"),
    ({"disk_used_max": {"var": 0.9}}, "expected an absolute mount point"),
    ({"memory_available_min": {"warn": "10%", "crit": "100MB"}}, "give both limits as ratios"),
    ({"files": {"/x": {"mode": "rw-r--r--"}}}, "expected an octal file mode such as '0644'"),
    ({"files": {"/x": {"exists": False, "mode": "0644"}}}, "'exists: false' cannot be combined"),
    ({"services_enabled": True, "processes": ["x"]}, "'services_enabled: true' needs a 'services' list"),
])
def test_host_errors(fields: dict[str, Any], expected: str) -> None:
    assert expected in error_of(HostTarget, **fields)


def test_host_memory_floor_is_ratio_or_size() -> None:
    ratio = HostTarget.model_validate({"name": "h", "memory_available_min": {"warn": 0.2, "crit": "10%"}})
    assert ratio.memory_available_min is not None and ratio.memory_available_min.ratio
    floor = ratio.memory_available_min.threshold
    assert (floor.warn, floor.crit) == (0.2, 0.1)
    size = HostTarget.model_validate({"name": "h", "memory_available_min": "512MiB"})
    assert size.memory_available_min is not None and not size.memory_available_min.ratio
    assert size.memory_available_min.threshold.crit == 512 * 2**20


def test_a_profile_with_both_sections_loads_and_quoted_modes_read_back(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\n"
        "backups:\n  - {name: sqlite, path: 'data/*.db.backup', max_age: 36h, sqlite_integrity: true}\n"
        "hosts:\n  - name: web\n    connection: 'ssh://deploy@web1:2222'\n"
        "    services: [nginx]\n    listening: ['tcp://0.0.0.0:443']\n    disk_used_max: {'/': 0.9}\n"
        "    files: {/etc/nginx/nginx.conf: {mode: '0644'}, /etc/x: {mode: '640'}, /bin/y: {mode: '4755'}}\n"
    )
    profile, _ = load_profile(path)
    [host] = profile.hosts
    assert host.files["/etc/nginx/nginx.conf"].mode == "0644"
    assert host.files["/etc/x"].mode == "0640" and host.files["/etc/x"].mode_bits == 0o640
    assert host.files["/bin/y"].mode == "4755"
    assert host.host_key == "web1:2222"
    assert profile.backups[0].max_age is not None and profile.backups[0].max_age.crit == 36 * 3600


@pytest.mark.parametrize("mode", ["644", "0644", "0755"])
def test_an_unquoted_yaml_mode_is_an_error_saying_to_quote_it(tmp_path: Path, mode: str) -> None:
    # YAML reads 644 as decimal 644 (once misread as 0o1204) and 0644 as octal 420: never guess.
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nhosts:\n  - name: web\n    files: {{/etc/x: {{mode: {mode}}}}}\n")
    with pytest.raises(ProfileError, match=r"hosts\[0\]\.files\./etc/x\.mode: .*write the file mode quoted, "
                                           r"e\.g\. mode: \"0644\""):
        load_profile(path)


def test_profile_errors_name_the_key_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nhosts:\n  - {name: web, listening: [':443']}\n")
    with pytest.raises(ProfileError, match=r"hosts\[0\]\.listening: expected a socket such as"):
        load_profile(path)


@pytest.mark.parametrize(("floor", "ratio"), [
    ("1", True), ("0.5", True), ("10%", True), (1, True), (0.5, True), (0, True),
    ("2", False), (2, False), (2048, False), ("512MB", False),
])
def test_host_memory_floor_reads_numbers_up_to_1_as_ratios(floor: object, ratio: bool) -> None:
    target = HostTarget.model_validate({"name": "h", "memory_available_min": floor})
    assert target.memory_available_min is not None and target.memory_available_min.ratio is ratio


def test_host_memory_floor_limits_are_one_kind_and_frozen() -> None:
    assert "not a mix" in error_of(HostTarget, memory_available_min={"warn": "10%", "crit": "512MB"})
    floor = HostTarget.model_validate({"name": "h", "memory_available_min": "10%"}).memory_available_min
    with pytest.raises(AttributeError):
        floor.ratio = False  # type: ignore[misc,union-attr]


@pytest.mark.parametrize(("spec", "valid"), [
    ("tcp://1", True), ("tcp://65535", True), ("tcp://0", False), ("tcp://65536", False),
    ("tcp://127.0.0.1:6379", True), ("unix:///run/app.sock", True),
])
def test_host_listening_ports_are_1_to_65535(spec: str, valid: bool) -> None:
    if valid:
        assert HostTarget.model_validate({"name": "h", "listening": [spec]}).listening == [spec]
    else:
        assert "expected a socket such as 'tcp://127.0.0.1:6379'" in error_of(HostTarget, listening=[spec])


@pytest.mark.parametrize(("limit", "valid"), [
    (0, True), (1, True), ("90%", True), (-0.1, False), (1.5, False)])
def test_host_disk_used_is_a_ratio_from_0_to_1(limit: object, valid: bool) -> None:
    if valid:
        assert HostTarget.model_validate({"name": "h", "disk_used_max": {"/": limit}}).disk_used_max
    else:
        assert "disk_used_max of / is a used ratio between 0 and 1" in error_of(HostTarget,
                                                                                 disk_used_max={"/": limit})


def test_host_file_expectations() -> None:
    expected = {"/a": {"contains": "x"}, "/b": {"contains": ["y", "z"]}, "/c": {"exists": False}}
    files = HostTarget.model_validate({"name": "h", "files": expected}).files
    assert (files["/a"].contains, files["/b"].contains, files["/c"].exists) == (["x"], ["y", "z"], False)
    for key, value in (("owner", "root"), ("group", "adm"), ("mode", "0600"), ("contains", "x")):
        assert "'exists: false' cannot be combined with mode, owner, group or contains" in error_of(
            HostTarget, files={"/a": {"exists": False, key: value}})
    assert "expected an absolute file path, got 'etc/app.conf'" in error_of(HostTarget,
                                                                             files={"etc/app.conf": {}})
