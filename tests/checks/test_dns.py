"""The DNS check end to end against dnsmasq: a passing record, NXDOMAIN and a wrong answer."""

from __future__ import annotations

from tests.conftest import RunChecks, unavailable
from tests.servers_dns import dnsmasq


def test_dns_check(run_checks: RunChecks) -> None:
    try:
        server = dnsmasq()
        port = server.__enter__()
    except RuntimeError as exc:
        unavailable(str(exc))
    try:
        result = run_checks(f"""
            name: t
            dns:
              - {{name: api, host: api.example.test, nameservers: ["127.0.0.1:{port}"],
                 expect: {{equals: [127.0.0.9]}}}}
              - {{name: gone, host: gone.example.test, nameservers: ["127.0.0.1:{port}"]}}
              - {{name: moved, host: api.example.test, nameservers: ["127.0.0.1:{port}"],
                 expect: {{include: [203.0.113.7]}}}}
        """, "-m", "smoke")
    finally:
        server.__exit__(None, None, None)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines_random([
        f"*gone.example.test A via 127.0.0.1:{port}: NXDOMAIN, the name does not exist*",
        "*dns moved: A api.example.test: '203.0.113.7' missing from the answers ?\"127.0.0.9\"?*",
    ])
