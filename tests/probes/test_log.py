"""The logs probe against real files (rotated, gzip), a real journal file, commands and a throwaway sshd."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsgate.errors import ProbeConfigError, ProbeFailure
from opsgate.probes.log import LogFacts, mask_secrets, probe
from opsgate.targets.log import LogsTarget
from tests.probes.test_host import SshServer, needs_sshd

JOURNAL_REMOTE = "/usr/lib/systemd/systemd-journal-remote"


def combined(minutes_ago: float, status: int, path: str = "/api/pins") -> str:
    """An nginx combined log line written `minutes_ago`."""
    stamp = datetime.fromtimestamp(time.time() - minutes_ago * 60, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'203.0.113.7 - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "-" "curl/8.0"'


def iso(minutes_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - minutes_ago * 60).strftime("%Y-%m-%d %H:%M:%S,123")


def write(path: Path, lines: list[str], mtime_minutes_ago: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    if mtime_minutes_ago is not None:
        then = time.time() - mtime_minutes_ago * 60
        os.utime(path, (then, then))
    return path


def run(**fields: Any) -> LogFacts:
    return probe(LogsTarget.model_validate({"name": "t", **fields}), 10.0)


def test_an_access_log_counts_only_the_windows_matches(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", [combined(120, 401), combined(90, 403), combined(50, 401),
                                          combined(20, 200), combined(5, 429), combined(1, 401)])
    facts = run(file=str(log), pattern=r'" (401|403|429) ', window="1h")
    assert [m.text.split('"')[2].split()[0] for m in facts.matches] == ["401", "429", "401"]
    assert (facts.scanned, facts.format, facts.complete) == (4, "combined", True)
    assert facts.top(1) == [(3, facts.matches[0].text)]  # lines differing only in numbers group together


def test_rotated_files_are_read_back_to_the_window_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(tmp_path / "app.log.3.gz", [f"{iso(600)} ERROR ancient"], mtime_minutes_ago=590)
    write(tmp_path / "app.log.2.gz", [f"{iso(100)} ERROR old", f"{iso(50)} ERROR in window (gz)"],
          mtime_minutes_ago=49)
    write(tmp_path / "app.log.1", [f"{iso(40)} INFO ok", f"{iso(30)} ERROR in window (.1)"],
          mtime_minutes_ago=29)
    write(log, [f"{iso(10)} ERROR live", f"{iso(2)} INFO fine"])
    facts = run(file=str(log), pattern="ERROR", window="1h")
    assert [m.text.split(" ", 3)[3] for m in facts.matches] == ["in window (gz)", "in window (.1)", "live"]
    assert [entry.split(" ")[0] for entry in facts.read] == [str(log), f"{log}.1", f"{log}.2.gz"]
    assert facts.format == "iso8601" and facts.complete
    assert len(run(file=str(log), pattern="ERROR", window="1h", rotated=False).matches) == 1


def test_a_traceback_belongs_to_the_line_that_started_it(tmp_path: Path) -> None:
    log = write(tmp_path / "app.log", [
        f"{iso(90)} ERROR request failed", "Traceback (most recent call last):", '  File "x.py"',
        f"{iso(10)} ERROR request failed", "Traceback (most recent call last):", "KeyError: 'sku'",
    ])
    facts = run(file=str(log), pattern="Traceback|KeyError", window="1h")
    assert [m.text for m in facts.matches] == ["Traceback (most recent call last):", "KeyError: 'sku'"]
    assert all(m.at is not None and time.time() - 11 * 60 < m.at < time.time() for m in facts.matches)


def test_syslog_json_and_custom_formats(tmp_path: Path) -> None:
    old, new = (datetime.fromtimestamp(time.time() - m * 60) for m in (180, 3))
    syslog = write(tmp_path / "syslog", [f"{old:%b} {old.day:>2} {old:%H:%M:%S} web nginx[1]: [error] x",
                                         f"{new:%b} {new.day:>2} {new:%H:%M:%S} web nginx[1]: [error] y"])
    assert [m.text[-1] for m in run(file=str(syslog), pattern=r"\[error\]", format="syslog").matches] == ["y"]
    lines = [json.dumps({"level": "error", "meta": {"ts": int((time.time() - m * 60) * 1000)}, "msg": m})
             for m in (300, 30)]
    jsonl = write(tmp_path / "app.jsonl", lines)
    facts = run(file=str(jsonl), pattern='"level": "error"', format="json", time_field="meta.ts")
    assert [json.loads(m.text)["msg"] for m in facts.matches] == [30]
    stamps = [datetime.fromtimestamp(time.time() - m * 60) for m in (200, 15)]
    line = "[{:%d.%m.%Y %H:%M}] [ERROR] Configuration validation failed"
    custom = write(tmp_path / "custom.log", [line.format(stamp) for stamp in stamps])
    facts = run(file=str(custom), pattern=r"\[ERROR\] Configuration validation failed",
                format="%d.%m.%Y %H:%M", window="1h")
    assert len(facts.matches) == 1


def test_lines_without_a_time_need_a_format(tmp_path: Path) -> None:
    log = write(tmp_path / "plain.log", ["ERROR one", "ERROR two", "INFO three"])
    with pytest.raises(ProbeConfigError, match=r"no timestamp found in 3 line\(s\) with format 'auto'; set "
                                               r"`format:` to a strptime format .* or `format: none`"):
        run(file=str(log), pattern="ERROR")
    facts = run(file=str(log), pattern="ERROR", format="none")
    assert (len(facts.matches), facts.scanned, facts.format) == (2, 3, "none")


def test_max_bytes_bounds_the_read_and_says_the_window_was_not_covered(tmp_path: Path) -> None:
    log = write(tmp_path / "big.log", [f"{iso(50 - i / 100)} ERROR number {i}" for i in range(2000)])
    facts = run(file=str(log), pattern="ERROR", max_bytes="8KiB")
    assert not facts.complete and 0 < len(facts.matches) < 2000
    assert run(file=str(log), pattern="ERROR").complete


def test_secrets_in_matching_lines_are_masked(tmp_path: Path) -> None:
    assert mask_secrets("login failed password=hunter22 api_key: 'sk-live-1234' user=bob") == \
        "login failed password=*** api_key: '***' user=bob"
    assert mask_secrets("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x") == "Authorization: Bearer ***"
    assert "s3cr3t" not in mask_secrets("connect postgres://app:s3cr3t@db:5432/shop failed")
    log = write(tmp_path / "app.log", [f"{iso(1)} ERROR token=abcdef123456 refused"])
    assert run(file=str(log), pattern="ERROR").matches[0].text.endswith("ERROR token=*** refused")


def test_a_missing_log_file_is_a_finding(tmp_path: Path) -> None:
    with pytest.raises(ProbeFailure, match=r"no log file at .*/nowhere.log: the service logs elsewhere"):
        run(file=str(tmp_path / "nowhere.log"), pattern="ERROR")


def test_a_commands_output_is_read_like_a_file(tmp_path: Path) -> None:
    log = write(tmp_path / "k.log", [f"{iso(m)} ERROR pod api-{m}" for m in (240, 30, 5)])
    facts = run(command=f"cat {log}", pattern="ERROR", window="1h")
    assert [m.text.split()[-1] for m in facts.matches] == ["api-30", "api-5"]
    with pytest.raises(ProbeFailure, match=r"`echo cluster unreachable >&2; exit 1` exited with status 1: "
                                           r"cluster unreachable; the logs could not be read"):
        run(command="echo cluster unreachable >&2; exit 1", pattern="ERROR")


needs_journal_remote = pytest.mark.skipif(
    not (os.path.exists(JOURNAL_REMOTE) and shutil.which("journalctl")),
    reason="systemd-journal-remote (Debian package) makes the journal files these tests read")


def make_journal(directory: Path, entries: list[tuple[float, str, str]]) -> Path:
    """A real journal file from (minutes ago, unit, message), written by systemd-journal-remote."""
    directory.mkdir(parents=True, exist_ok=True)
    export = b""
    for index, (minutes, unit, message) in enumerate(entries):
        export += (f"__REALTIME_TIMESTAMP={int((time.time() - minutes * 60) * 1e6)}\n"
                   f"__MONOTONIC_TIMESTAMP={index + 1}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                   f"_SYSTEMD_UNIT={unit}\n"
                   f"SYSLOG_IDENTIFIER={unit.split('.')[0]}\nMESSAGE={message}\n\n").encode()
    subprocess.run([JOURNAL_REMOTE, f"--output={directory / 'remote.journal'}", "-"], input=export,
                   check=True, capture_output=True)
    return directory


@needs_journal_remote
def test_journald_entries_of_a_unit_within_the_window(tmp_path: Path) -> None:
    journal = make_journal(tmp_path / "journal", [
        (120, "api.service", "ERROR old"), (20, "api.service", "ERROR recent password=hunter22"),
        (10, "worker.service", "ERROR other unit"), (5, "api.service", "INFO fine"),
    ])
    facts = run(journald={"unit": "api.service", "directory": str(journal)}, pattern="ERROR", window="1h")
    assert [m.text for m in facts.matches] == ["api: ERROR recent password=***"]
    assert (facts.scanned, facts.format, facts.source) == (2, "journald", "the journal (api.service)")


@needs_journal_remote
def test_an_empty_journal_is_never_a_quiet_one(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProbeFailure, match="the journal on local:// holds no entries at all: journald is not "
                                           "running there or keeps no journal"):
        run(journald={"directory": str(tmp_path / "empty")}, pattern="ERROR")



@needs_sshd
def test_a_file_on_a_host_over_ssh(sshd: SshServer, tmp_path: Path) -> None:
    log = write(tmp_path / "remote.log", [combined(m, s) for m, s in ((300, 500), (30, 500), (3, 200))])
    over = {"connection": sshd.connection, "ssh_config": str(sshd.ssh_config)}
    facts = run(file=str(log), pattern=r'" 5\d\d ', **over)
    assert len(facts.matches) == 1 and facts.complete
    assert facts.read == [f"ssh://probe1:{log} (last {log.stat().st_size}B)"]
    with pytest.raises(ProbeFailure, match=r"ssh://probe1: cannot read /nonexistent.log: tail: .*No such"):
        run(file="/nonexistent.log", pattern="x", **over)
