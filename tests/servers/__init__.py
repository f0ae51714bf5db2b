"""Throwaway Redis, PostgreSQL and MariaDB servers on free loopback ports (see shared RECIPES.md).

Each is a context manager that starts the server in a temp dir and stops it on exit; tests use them
from module-scoped fixtures. The machine's shared services are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pymysql
import redis

from tests.conftest import free_port
from tests.servers_tls import Chain


def _wait(ready: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {seconds:g}s")


class RedisServer:
    """redis-server with the given extra arguments (e.g. `--maxmemory 4mb`, `--requirepass x`);
    with `tls` it speaks TLS only (rediss://), serving that chain; `ca_bundle` is its root."""

    def __init__(self, workdir: Path, *args: str, password: str | None = None,
                 tls: Chain | None = None) -> None:
        self.dir, self.args, self.password, self.tls = workdir, args, password, tls
        self.port = free_port()
        self.ca_bundle: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"{'rediss' if self.tls else 'redis'}://{auth}127.0.0.1:{self.port}/0"

    def client(self, db: int = 0) -> redis.Redis:
        tls = {"ssl": True, "ssl_ca_certs": str(self.ca_bundle)} if self.tls else {}
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, password=self.password,
                           socket_timeout=5, **tls)

    def _tls_arguments(self) -> list[str]:
        if self.tls is None:
            return []
        chain, key, self.ca_bundle = self.tls.write(self.dir / "tls")
        return ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(chain),
                "--tls-key-file", str(key), "--tls-ca-cert-file", str(self.ca_bundle),
                "--tls-auth-clients", "no"]

    def __enter__(self) -> RedisServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        extra = ["--requirepass", self.password] if self.password else []
        extra += self._tls_arguments()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
                *extra,
                *self.args,
            ]
        )
        _wait(self._ping, f"redis-server on {self.port}")
        return self

    def _ping(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PostgresServer:
    """A PostgreSQL cluster made with initdb (trust auth), run as the `postgres` user.

    Its directory is its own under /tmp: pytest's temp dirs are private to root, and the
    `postgres` user must reach the data directory."""

    def __init__(self, *settings: str) -> None:
        self.dir, self.settings = Path(tempfile.mkdtemp(prefix="opsgate-pg-")), settings
        self.port = free_port()
        versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
        self.bin = Path("/usr/lib/postgresql") / versions[-1] / "bin"

    def url(self, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def connect(self, user: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(user), autocommit=True)

    @property
    def log(self) -> Path:
        return self.dir / "log"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)

    def __enter__(self) -> PostgresServer:
        shutil.chown(self.dir, "postgres")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"
        )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.dir}",
                "-c listen_addresses=127.0.0.1",
                *(f"-c {s}" for s in self.settings),
            ]
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.log),
            "-w",
            "-o",
            options,
            "start",
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._as_postgres(
                str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"
            )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class MariaServer:
    """A MariaDB server made with mariadb-install-db, root without password."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.dir, self.args = workdir, args
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/"

    def connect(self, **kwargs: object) -> pymysql.Connection:
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", autocommit=True, **kwargs)

    def __enter__(self) -> MariaServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                "--user=root",
                f"--datadir={self.dir / 'data'}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                "--user=root",
                f"--datadir={self.dir / 'data'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.dir / 'sock'}",
                f"--pid-file={self.dir / 'pid'}",
                f"--log-error={self.dir / 'err'}",
                *self.args,
            ],
            # mariadbd warns on stderr before it opens its error log
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self._ping, f"mariadbd on {self.port}", 40)
        return self

    def _ping(self) -> bool:
        self.connect().close()
        return True

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
