"""Object-store backups: the objects under an `s3://bucket/prefix` (any S3-compatible endpoint, via boto3).

Credentials come the usual AWS ways (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
AWS_PROFILE, an instance role); `endpoint_url` points at MinIO, R2, Spaces, B2 and the like. Only
ListObjectsV2 and GetObject are called: read-only. boto3 is imported here, when such a check runs.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout, Unreachable
from opsgate.targets.backup import BackupTarget

if TYPE_CHECKING:
    from opsgate.probes.backup import BackupFile

_GLOB = re.compile(r"[*?\[]")
_CHUNK = 1 << 20
# Codes that say the credentials or the policy are wrong: the check cannot run as configured.
_CREDENTIAL_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                     "InvalidToken", "AuthorizationHeaderMalformed"}


def split(url: str) -> tuple[str, str, str | None]:
    """`s3://bucket/db/*.gz` -> ("bucket", "db/", "db/*.gz"): bucket, listing prefix, glob (or None)."""
    bucket, _, key = url[len("s3://"):].partition("/")
    found = _GLOB.search(key)
    if found is None:
        return bucket, key, None
    return bucket, key[:found.start()], key


def list_objects(target: BackupTarget, deadline: Deadline) -> list[BackupFile]:
    """Every object under the target's prefix (matching its glob, if any), newest first."""
    from opsgate.probes.backup import BackupFile

    bucket, prefix, pattern = split(target.path)
    client = _client(target, deadline)
    found: list[BackupFile] = []
    token: dict[str, str] = {}
    while True:
        deadline.budget(f"listing {target.path}")
        page = _call(target, client.list_objects_v2, Bucket=bucket, Prefix=prefix, **token)
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/") or (pattern is not None and not fnmatch.fnmatchcase(key, pattern)):
                continue
            found.append(BackupFile(path=f"s3://{bucket}/{key}", size=item["Size"],
                                    mtime=item["LastModified"].timestamp()))
        if not page.get("IsTruncated"):
            break
        token = {"ContinuationToken": page["NextContinuationToken"]}
    return sorted(found, key=lambda f: (f.mtime, f.path), reverse=True)


@contextmanager
def downloaded(target: BackupTarget, url: str, deadline: Deadline) -> Iterator[str]:
    """The object at `url` streamed into a temporary file (named like the object), removed afterwards."""
    bucket, _, key = url[len("s3://"):].partition("/")
    client = _client(target, deadline)
    with tempfile.TemporaryDirectory(prefix="opsgate-backup-") as directory:
        local = os.path.join(directory, os.path.basename(key) or "object")
        response = _call(target, client.get_object, Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            with open(local, "wb") as out:
                while chunk := _call(target, body.read, _CHUNK):
                    out.write(chunk)
                    if deadline.expired:
                        raise ProbeTimeout(f"downloading {url} did not finish within {deadline.seconds:g}s; "
                                           "raise this target's `timeout` or drop the integrity check")
        finally:
            body.close()
        yield local


def _client(target: BackupTarget, deadline: Deadline) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ProbeConfigError("s3:// backups need boto3: pip install 'opsgate[s3]'") from None
    seconds = deadline.budget(f"connecting to {target.endpoint_url or 'S3'}")
    config = Config(connect_timeout=seconds, read_timeout=seconds, retries={"max_attempts": 1},
                    region_name=target.region)
    return boto3.client("s3", endpoint_url=target.endpoint_url, config=config)


def _call(target: BackupTarget, action: Any, *args: Any, **kwargs: Any) -> Any:
    """`action(*args, **kwargs)`, with botocore's errors mapped to opsgate's by phase."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    where = target.endpoint_url or "S3"
    try:
        return action(*args, **kwargs)
    except NoCredentialsError:
        raise ProbeConfigError(f"{target.path}: no S3 credentials: set AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for the checking user") from None
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        raise ProbeTimeout(f"{target.path}: {where} did not answer in time ({exc})") from None
    except EndpointConnectionError as exc:
        raise Unreachable(f"{target.path}: cannot reach {where}: {exc}") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        if code == "NoSuchBucket":
            raise ProbeFailure(f"{target.path}: bucket does not exist at {where}: check the bucket name and "
                               "the endpoint/region; the backup job cannot be writing there") from None
        if code in _CREDENTIAL_CODES:
            raise ProbeConfigError(f"{target.path}: {code}: {message}; the checking credentials need "
                                   "s3:ListBucket and s3:GetObject on the backup prefix") from None
        raise ProbeFailure(f"{target.path}: {where} answered {code}: {message}") from None
    except BotoCoreError as exc:
        raise Unreachable(f"{target.path}: {where}: {exc}") from None
