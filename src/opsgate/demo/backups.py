"""The demo's "nightly backup": a small SQLite file written when the demo target starts.

The `backups:` check of `profiles/local.yaml` needs a backup that exists on any fresh machine, so the
demo process writes `nightly.db.backup` into `reports/demo-backups/` (relative to its working directory,
which is the pytest run's) or into `$OPSGATE_DEMO_BACKUP_DIR`. The demo imports every module of this
package at start (`app.load_route_modules`); this module has no routes and does its one write at that
import, but only inside the demo process (`python -m opsgate.demo`): importing it anywhere else (tests,
tools) writes nothing. The file is written to a temporary name and renamed, so a check never sees half
a file and two demo processes sharing a directory do not clash.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DIR = Path("reports/demo-backups")
FILE_NAME = "nightly.db.backup"
ORDERS = 200


def backup_dir() -> Path:
    """Where the demo writes its backup: `$OPSGATE_DEMO_BACKUP_DIR` or `reports/demo-backups`."""
    return Path(os.environ.get("OPSGATE_DEMO_BACKUP_DIR") or DEFAULT_DIR)


def write_nightly_backup(directory: Path) -> Path:
    """Write a fresh, valid SQLite "orders" database to `directory/nightly.db.backup`; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".nightly-", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                connection.execute(
                    "CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, cents INTEGER NOT NULL, "
                    "created_at REAL NOT NULL)")
                now = time.time()
                connection.executemany(
                    "INSERT INTO orders (sku, cents, created_at) VALUES (?, ?, ?)",
                    [(f"SKU-{i % 17:03d}", 499 + 100 * (i % 9), now - 60 * i) for i in range(ORDERS)],
                )
                connection.execute("CREATE INDEX orders_sku ON orders (sku)")
        finally:
            connection.close()
        target = directory / FILE_NAME
        os.replace(temporary, target)
        return target
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _inside_the_demo_process() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", None) == "opsgate.demo.__main__"


if _inside_the_demo_process():
    try:
        write_nightly_backup(backup_dir())
    except (OSError, sqlite3.Error) as exc:
        # The demo still serves; the backups check then fails with "no backup matches", which is the truth.
        print(f"demo target could not write its nightly backup to {backup_dir()}: {exc}", file=sys.stderr)
