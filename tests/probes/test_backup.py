"""The backup probe on real files: SQLite databases, gzip streams and tar archives made (and broken) here."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sqlite3
import tarfile
import time
from pathlib import Path

import pytest

from opsgate.errors import ProbeTimeout
from opsgate.probes.backup import probe
from opsgate.targets.backup import BackupTarget

PAGE = 4096


def make_sqlite(path: Path, rows: int = 2000) -> Path:
    """A real SQLite database with a table and an index spread over many pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT, note TEXT)")
        connection.executemany("INSERT INTO orders (sku, note) VALUES (?, ?)",
                               [(f"SKU-{i:05d}", "x" * 200) for i in range(rows)])
        connection.execute("CREATE INDEX orders_sku ON orders (sku)")
    connection.close()
    return path


def corrupt_pages(path: Path, first: int = 3, count: int = 3) -> None:
    """Overwrite whole pages in the middle of the file with garbage, as a bad disk or copy would."""
    with path.open("r+b") as handle:
        handle.seek(first * PAGE)
        handle.write(bytes(range(256)) * (PAGE * count // 256))


def make_gzip(path: Path, size: int = 300_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as stream:
        stream.write(os.urandom(size))  # incompressible: the archive is about as big as the data
    return path


def make_targz(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name in ("dump.sql", "media.bin"):
            data = os.urandom(200_000)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def truncate(path: Path, keep: float = 0.5) -> None:
    os.truncate(path, int(path.stat().st_size * keep))


def target(pattern: str | Path, **fields: object) -> BackupTarget:
    return BackupTarget.model_validate({"name": "b", "path": str(pattern), **fields})


def digest(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


def test_files_are_listed_newest_first_and_directories_ignored(tmp_path: Path) -> None:
    for age_hours, name in ((50, "a.db.backup"), (2, "b.db.backup"), (26, "c.db.backup")):
        file = tmp_path / name
        file.write_bytes(b"x" * 10)
        then = time.time() - age_hours * 3600
        os.utime(file, (then, then))
    (tmp_path / "d.db.backup").mkdir()
    facts = probe(target(tmp_path / "*.db.backup"), 5.0)
    assert [Path(f.path).name for f in facts.files] == ["b.db.backup", "c.db.backup", "a.db.backup"]
    assert facts.newest is not None and 2 * 3600 - 5 < facts.age(facts.newest) < 2 * 3600 + 5


def test_relative_patterns_resolve_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sqlite(tmp_path / "data" / "cache.db.backup", rows=10)
    monkeypatch.chdir(tmp_path)
    facts = probe(target("data/*.db.backup"), 5.0)
    assert facts.resolved == str(tmp_path / "data" / "*.db.backup")
    assert [f.path for f in facts.files] == [str(tmp_path / "data" / "cache.db.backup")]


def test_no_match_is_an_empty_fact_not_an_error(tmp_path: Path) -> None:
    facts = probe(target(tmp_path / "*.db.backup", sqlite_integrity=True), 5.0)
    assert facts.files == () and facts.integrity == ()


def test_healthy_sqlite_passes_quick_and_full_checks_and_is_not_modified(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "audit.db.backup")
    before = digest(db)
    for mode, method in ((True, "PRAGMA quick_check"), ("full", "PRAGMA integrity_check")):
        [result] = probe(target(db, sqlite_integrity=mode), 5.0).integrity
        assert (result.method, result.ok, result.detail) == (method, True, "1 table(s)")
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.db.backup"]  # no -journal, -wal, -shm


def test_overwritten_sqlite_pages_fail_with_the_first_problems(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "cache.db.backup")
    corrupt_pages(db)
    [result] = probe(target(db, sqlite_integrity=True), 5.0).integrity
    assert (result.ok, result.problems) == (False, ("database disk image is malformed",))


def test_zeroed_index_pages_list_the_pages_sqlite_names(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "cache.db.backup")
    last = db.stat().st_size // PAGE
    with db.open("r+b") as handle:  # the last pages hold the index built last
        handle.seek((last - 2) * PAGE)
        handle.write(bytes(2 * PAGE))
    [result] = probe(target(db, sqlite_integrity=True), 5.0).integrity
    assert not result.ok
    assert f"Page {last}: btreeInitPage() returns error code 11" in result.problems, result.problems
    assert len(result.problems) <= 10


def test_truncated_sqlite_fails(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "cache.db.backup")
    truncate(db)
    [result] = probe(target(db, sqlite_integrity="full"), 5.0).integrity
    assert not result.ok and result.problems


def test_a_file_that_is_not_sqlite_fails(tmp_path: Path) -> None:
    fake = tmp_path / "cache.db.backup"
    fake.write_text("<html>502 Bad Gateway</html>" * 50)
    [result] = probe(target(fake, sqlite_integrity=True), 5.0).integrity
    assert (result.ok, result.problems) == (False, ("file is not a database",))


def test_gzip_read_through(tmp_path: Path) -> None:
    archive = make_gzip(tmp_path / "dump-1.sql.gz")
    [result] = probe(target(tmp_path / "*.gz", gzip_integrity=True), 5.0).integrity
    assert (result.ok, result.detail) == (True, "293KiB uncompressed")
    truncate(archive)
    [result] = probe(target(tmp_path / "*.gz", gzip_integrity=True), 5.0).integrity
    assert not result.ok
    assert result.problems[0].startswith("truncated archive: Compressed file ended before the end-of-stream")


def test_flipped_gzip_bytes_fail(tmp_path: Path) -> None:
    archive = make_gzip(tmp_path / "dump.sql.gz")
    with archive.open("r+b") as handle:
        handle.seek(archive.stat().st_size // 2)
        handle.write(b"\x00" * 64)
    [result] = probe(target(archive, gzip_integrity=True), 5.0).integrity
    assert not result.ok and result.problems


def test_tar_gz_members_are_walked_and_truncation_found(tmp_path: Path) -> None:
    archive = make_targz(tmp_path / "backup-20240115T020000Z.tar.gz")
    [result] = probe(target(archive, gzip_integrity=True), 5.0).integrity
    assert (result.ok, result.detail) == (True, "tar with 2 member(s)")
    truncate(archive, 0.7)
    [result] = probe(target(archive, gzip_integrity=True), 5.0).integrity
    assert not result.ok and "truncated" in result.problems[0]


def test_only_the_newest_file_is_read(tmp_path: Path) -> None:
    old = make_sqlite(tmp_path / "a.db.backup", rows=10)
    corrupt_pages(old, first=0, count=1)
    then = time.time() - 3600
    os.utime(old, (then, then))
    make_sqlite(tmp_path / "b.db.backup", rows=10)
    [result] = probe(target(tmp_path / "*.db.backup", sqlite_integrity=True), 5.0).integrity
    assert result.ok


def test_integrity_reads_stop_at_the_timeout(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "big.db.backup", rows=20_000)
    with pytest.raises(ProbeTimeout, match=r"PRAGMA integrity_check of .*big.db.backup did not finish within "
                                           r"0s; raise this target's `timeout`"):
        probe(target(db, sqlite_integrity="full"), 0.0)
    archive = make_gzip(tmp_path / "big.gz", size=3_000_000)
    with pytest.raises(ProbeTimeout, match="gzip read-through of .*big.gz did not finish"):
        probe(target(archive, gzip_integrity=True), 0.0)
