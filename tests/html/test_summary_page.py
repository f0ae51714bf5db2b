"""reports/summary.html from real runs, read by a real headless Chromium.

The page must render without a single console complaint, load nothing from anywhere (it is one
self-contained file), and put the failing check where the reader looks first. Set
OPSGATE_SCREENSHOTS=docs to refresh the screenshots in docs/ from these runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from tests.browser import CHROMIUM, VIEWPORT, Chromium
from tests.conftest import REPO, RunChecks

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (see .ci/run)")


# The rows of tables matched by SELECTOR, each as "cell | cell | ...".
ROWS = """[...document.querySelectorAll('SELECTOR')].map(
    r => [...r.cells].map(c => c.textContent.trim()).join(' | '))"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    with Chromium() as browser:
        yield browser


def _port(demo: DemoProcess) -> str:
    return demo.https_url.rsplit(":", 1)[1].rstrip("/")


def _screenshot(browser: Chromium, name: str, tmp: Path) -> None:
    browser.screenshot(tmp / name)
    wanted = os.environ.get("OPSGATE_SCREENSHOTS")
    if wanted:
        shutil.copy(tmp / name, REPO / wanted / name)


def _open(browser: Chromium, page: Path) -> None:
    browser.open(page.as_uri())
    assert browser.complaints() == []
    elsewhere = [url for url in browser.requested() if url != page.as_uri() and not url.startswith("data:")]
    assert elsewhere == [], "the page loads something besides itself"
    assert browser.evaluate("document.scripts.length") == 0


def test_a_failing_run_shows_the_failure_above_the_fold(
    run_checks: RunChecks, demo: DemoProcess, broken_demo: DemoProcess, pytester: pytest.Pytester,
    chromium: Chromium, tmp_path: Path,
) -> None:
    result = run_checks(f"""
        name: shop-production
        defaults: {{timeout: 3s}}
        http:
          - name: api-health
            url: {broken_demo.http_url}/health
            expect: {{status: 200, json: {{status: ok}}}}
            runbook: https://runbooks.example/api-health
          - name: frontend
            url: {demo.https_url}/
            ca_bundle: {demo.ca_bundle}
            security_headers: baseline
          - name: not-json
            url: {broken_demo.http_url}/not-json
            expect: {{json: {{status: ok}}}}
        tls:
          - {{name: shop-cert, host: 127.0.0.1, port: {_port(demo)}, ca_bundle: {demo.ca_bundle}}}
        latency:
          - {{name: api, url: "{demo.http_url}/health", samples: 20, p95: {{warn: 500ms, crit: 2s}}}}
    """, "-m", "smoke or daily or weekly")
    assert result.ret == 1
    page = pytester.path / "reports" / "summary.html"
    _open(chromium, page)
    _screenshot(chromium, "summary-failed.png", tmp_path)

    assert chromium.evaluate("document.querySelector('#verdict h1').textContent").startswith(
        "FAILED · profile shop-production")
    first = chromium.evaluate("""(() => { const p = document.querySelector('#attention .problem');
        const r = p.getBoundingClientRect(); return {text: p.textContent, bottom: r.bottom}; })()""")
    assert "api-health" in first["text"] and "status 503 Service Unavailable" in first["text"]
    assert first["bottom"] <= VIEWPORT[1], "the failing check is below the fold"
    assert chromium.evaluate(
        "document.querySelector('#attention a').href") == "https://runbooks.example/api-health"
    # The measured 503 reads as crit against what was expected, in the check's own table.
    status_row = chromium.evaluate(ROWS.replace("SELECTOR", "article.check.fail tr.level-crit"))
    assert "status | 503 |  | expected 200 | crit" in status_row
    # A response body is text on the page, never markup of it.
    assert "<html>oops</html>" in chromium.evaluate("document.body.innerText")
    assert chromium.evaluate("document.querySelectorAll('article html, article body').length") == 0
    # Evidence: the histogram is an image that decoded; the chain and the header grade are shown.
    assert chromium.evaluate("[...document.images].map(i => i.naturalWidth)") == [640]
    texts = chromium.evaluate("[...document.querySelectorAll('pre')].map(p => p.textContent)")
    assert any("days left" in text and "verified: yes" in text for text in texts)
    assert any("strict-transport-security" in text and "grade A" in text for text in texts)


def test_a_green_run_says_passed_and_lists_every_check(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester, chromium: Chromium,
    tmp_path: Path,
) -> None:
    result = run_checks(f"""
        name: shop-staging
        http:
          - name: api-health
            url: {demo.http_url}/health
            expect: {{response_time: {{warn: 1s, crit: 3s}}}}
          - {{name: ready, url: "{demo.https_url}/health/ready", ca_bundle: {demo.ca_bundle}}}
        tls:
          - {{name: shop-cert, host: 127.0.0.1, port: {_port(demo)}, ca_bundle: {demo.ca_bundle}}}
        latency:
          - {{name: api, url: "{demo.http_url}/health", samples: 20, p95: {{warn: 500ms, crit: 2s}}}}
    """)
    assert result.ret == 0
    page = pytester.path / "reports" / "summary.html"
    _open(chromium, page)
    _screenshot(chromium, "summary-passed.png", tmp_path)

    assert chromium.evaluate("document.querySelector('#verdict h1').textContent").startswith("PASSED")
    assert chromium.evaluate("document.querySelector('#attention')") is None
    shown = chromium.evaluate("[...document.querySelectorAll('article.check h3')].map(h => h.textContent)")
    assert sorted(shown) == ["api", "api-health", "ready", "shop-cert"]
    limits = chromium.evaluate(ROWS.replace("SELECTOR", "article.check tr"))
    assert "response time | " in "\n".join(limits)
    assert any(row.startswith("response time | ") and row.endswith(" | ≤ 1s | ≤ 3s | ok")
               for row in limits), limits


def test_the_browser_check_sees_what_a_reader_would_complain_about(
    chromium: Chromium, tmp_path: Path,
) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>t</title><img src='missing.png'>"
                    "<script>console.error('boom'); undefined_function();</script>")
    chromium.open(page.as_uri())
    complaints = chromium.complaints()
    assert "console.error: boom" in complaints
    assert any(c.startswith("exception: Uncaught") for c in complaints)
    assert any(c.startswith("load failed: net::ERR_FILE_NOT_FOUND") for c in complaints)
    assert (tmp_path / "missing.png").as_uri() in chromium.requested()
