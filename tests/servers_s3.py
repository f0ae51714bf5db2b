"""An S3-compatible server on a free loopback port, for the object-store backup tests.

It is moto's standalone server (`moto_server`, from PyPI's `moto[server]`): an emulator of the S3
REST API that keeps objects in memory, in its own process, spoken to over real HTTP with boto3 exactly
as MinIO or AWS would be. MinIO's own server binary is not obtainable through the package registries
this project installs from (PyPI, Debian, npm), so this is the most faithful server available.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "opsgate-test", "AWS_SECRET_ACCESS_KEY": "opsgate-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    url: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.client().put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto_server on a free port; the AWS credential variables the probes read are set by `s3_env`."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    binary = Path(__import__("sys").executable).with_name("moto_server")
    with log.open("wb") as out:
        process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # it imports Flask and botocore first: slow on a loaded machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start: {log.read_text()[-500:]}") from None
                time.sleep(0.1)
        yield S3Server(url)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual AWS variables, as the checking user would have them (subprocess runs inherit them)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
