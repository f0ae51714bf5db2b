"""Object-store backups against a real S3-API server process (tests/servers_s3.py says which)."""

from __future__ import annotations

import gzip
import io
import sqlite3
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from opsgate.errors import ProbeFailure, Unreachable
from opsgate.probes.backup import probe
from opsgate.probes.object_store import split
from opsgate.targets.backup import BackupTarget
from tests.conftest import free_port
from tests.servers_s3 import S3Server

pytestmark = pytest.mark.usefixtures("s3_env")


def bucket(server: S3Server) -> str:
    name = f"backups-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


def target(server: S3Server, path: str, **fields: object) -> BackupTarget:
    return BackupTarget.model_validate({"name": "t", "path": path, "endpoint_url": server.url, **fields})


def sqlite_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        db.executemany("INSERT INTO orders (total) VALUES (?)", [(i * 1.5,) for i in range(200)])
    return path.read_bytes()


def test_split_names_bucket_prefix_and_glob() -> None:
    assert split("s3://b/db/") == ("b", "db/", None)
    assert split("s3://b/db/*.sql.gz") == ("b", "db/", "db/*.sql.gz")
    assert split("s3://b") == ("b", "", None)


def test_objects_under_a_prefix_newest_first_and_a_glob_filters(s3_server: S3Server) -> None:
    name = bucket(s3_server)
    s3_server.put(name, "db/2026-11-30.sql.gz", gzip.compress(b"old"))
    time.sleep(1.1)  # LastModified has one-second resolution
    s3_server.put(name, "db/2026-12-01.sql.gz", gzip.compress(b"new"))
    s3_server.put(name, "db/notes.txt", b"x")
    s3_server.put(name, "media/logo.png", b"x")
    facts = probe(target(s3_server, f"s3://{name}/db/"), 10)
    names = [f.path.rsplit("/", 1)[1] for f in facts.files]
    assert set(names[:2]) == {"notes.txt", "2026-12-01.sql.gz"} and names[2] == "2026-11-30.sql.gz"
    globbed = probe(target(s3_server, f"s3://{name}/db/*.sql.gz"), 10)
    assert [f.path.rsplit("/", 1)[1] for f in globbed.files] == ["2026-12-01.sql.gz", "2026-11-30.sql.gz"]
    assert 0 <= globbed.age(globbed.files[0]) < 60


def test_the_newest_object_is_read_through(s3_server: S3Server, tmp_path: Path) -> None:
    name = bucket(s3_server)
    s3_server.put(name, "sqlite/shop.db", sqlite_bytes(tmp_path))
    facts = probe(target(s3_server, f"s3://{name}/sqlite/", sqlite_integrity=True), 10)
    assert [(i.method, i.ok) for i in facts.integrity] == [("PRAGMA quick_check", True)]
    truncated = gzip.compress(b"x" * 100_000)[:-20]
    s3_server.put(name, "dumps/today.sql.gz", truncated)
    facts = probe(target(s3_server, f"s3://{name}/dumps/", gzip_integrity=True), 10)
    assert not facts.integrity[0].ok and "truncated archive" in facts.integrity[0].problems[0]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        member = tarfile.TarInfo("site/index.html")
        member.size = 5
        tar.addfile(member, io.BytesIO(b"hello"))
    s3_server.put(name, "tars/site.tar.gz", archive.getvalue())
    facts = probe(target(s3_server, f"s3://{name}/tars/", gzip_integrity=True), 10)
    assert facts.integrity[0].ok and facts.integrity[0].detail == "tar with 1 member(s)"


def test_a_missing_bucket_and_an_unreachable_endpoint_are_findings(s3_server: S3Server) -> None:
    with pytest.raises(ProbeFailure, match=r"s3://opsgate-no-such-bucket/db/: bucket does not exist at "
                                           r"http://127.0.0.1:\d+: check the bucket name"):
        probe(target(s3_server, "s3://opsgate-no-such-bucket/db/"), 10)
    dead = BackupTarget.model_validate({"name": "t", "path": "s3://b/db/",
                                        "endpoint_url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(Unreachable, match=r"s3://b/db/: cannot reach http://127.0.0.1:\d+"):
        probe(dead, 5)
