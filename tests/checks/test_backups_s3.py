"""Object-store backups end to end: the plugin, an S3-API server process, messages."""

from __future__ import annotations

import gzip
import uuid

import pytest

from tests.conftest import RunChecks
from tests.servers_s3 import S3Server

pytestmark = pytest.mark.usefixtures("s3_env")


def test_fresh_nightly_dumps_pass_and_stale_empty_or_missing_ones_fail(
    run_checks: RunChecks, s3_server: S3Server
) -> None:
    name = f"backups-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    s3_server.put(name, "db/2026-12-01.sql.gz", gzip.compress(b"CREATE TABLE orders (id int);\n" * 100))
    s3_server.put(name, "empty/2026-12-01.sql.gz", b"")
    result = run_checks(f"""
        name: t
        backups:
          - {{name: nightly, path: "s3://{name}/db/", endpoint_url: "{s3_server.url}", max_age: 26h,
             gzip_integrity: true, min_count: 1}}
          - {{name: too-old, path: "s3://{name}/db/*.sql.gz", endpoint_url: "{s3_server.url}", max_age: 1ms}}
          - {{name: empty, path: "s3://{name}/empty/", endpoint_url: "{s3_server.url}"}}
          - {{name: none, path: "s3://{name}/nothing-here/", endpoint_url: "{s3_server.url}"}}
    """, "-m", "daily")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random([
        f"*backups too-old: age of the newest backup is *, above the limit 1ms (crit): s3://{name}/db/2026-12-01"
        ".sql.gz is the newest*",
        f"*backups empty: size of the newest backup is 0B, below the minimum 1B (crit): s3://{name}/empty/*",
        f"*backups none: no backup matches s3://{name}/nothing-here/: the backup job has not run or writes "
        "elsewhere*",
    ])


def test_profile_mistakes_are_usage_errors(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        backups:
          - {name: a, path: "gs://bucket/db/"}
          - {name: b, path: "data/*.gz", endpoint_url: "http://127.0.0.1:9000"}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines_random([
        "*backups[[]0].path: expected a local path or s3://bucket/prefix, got 'gs://bucket/db/'",
        "*backups[[]1]: 'endpoint_url' and 'region' apply to s3:// paths",
    ])
