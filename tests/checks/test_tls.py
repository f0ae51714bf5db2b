"""The TLS check end to end: a real server, the plugin, the message."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunChecks
from tests.servers_tls import TlsServer, make_chain


def test_valid_and_expired_certificates(run_checks: RunChecks, tmp_path: Path) -> None:
    with TlsServer(make_chain(), tmp_path / "ok") as ok, \
            TlsServer(make_chain(days=-1, start_days=-30), tmp_path / "old") as old:
        result = run_checks(f"""
            name: t
            tls:
              - {{name: good, host: 127.0.0.1, port: {ok.port}, ca_bundle: "{ok.ca_bundle}"}}
              - {{name: stale, host: 127.0.0.1, port: {old.port}, ca_bundle: "{old.ca_bundle}",
                 runbook: "renew via certbot"}}
        """, "-m", "weekly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*tls stale: certificate EXPIRED on * UTC (1.0 days ago; serial *, issuer CN=opsgate test "
        "intermediate): renew the certificate now*",
        "*Runbook: renew via certbot*",
    ])
