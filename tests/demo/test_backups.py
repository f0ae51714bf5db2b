"""The demo's nightly backup: written by the demo process at start, and only there."""

from __future__ import annotations

import importlib
import sqlite3
import time
from pathlib import Path

import pytest

import opsgate.demo.backups as demo_backups
from opsgate.demo import DemoProcess


def test_the_demo_process_writes_a_fresh_valid_sqlite_backup(tmp_path: Path) -> None:
    started = time.time()
    with DemoProcess(port=0, https_port=0, env={"OPSGATE_DEMO_BACKUP_DIR": str(tmp_path)}):
        backup = tmp_path / demo_backups.FILE_NAME
        assert backup.is_file() and backup.stat().st_mtime >= started - 1
    connection = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        assert connection.execute("SELECT count(*) FROM orders").fetchone() == (demo_backups.ORDERS,)
    finally:
        connection.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [demo_backups.FILE_NAME]  # no temporary left


def test_importing_the_module_elsewhere_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSGATE_DEMO_BACKUP_DIR", raising=False)
    importlib.reload(demo_backups)
    assert list(tmp_path.iterdir()) == []


def test_a_second_write_replaces_the_file_atomically(tmp_path: Path) -> None:
    first = demo_backups.write_nightly_backup(tmp_path)
    inode = first.stat().st_ino
    second = demo_backups.write_nightly_backup(tmp_path)
    assert second == first and second.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == [demo_backups.FILE_NAME]
