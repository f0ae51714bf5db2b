"""The demo's rate-limited route over real HTTP: limited per key when healthy, never when broken."""

from __future__ import annotations

import uuid

import httpx

from opsgate.demo import DemoProcess


def test_the_limit_answers_429_with_retry_after_past_n_per_window(demo: DemoProcess) -> None:
    url = f"{demo.http_url}/rate-limited?limit=3&window=60&key={uuid.uuid4().hex}"
    answers = [httpx.get(url, timeout=5) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert 0 < int(answers[3].headers["Retry-After"]) <= 60
    other = httpx.get(f"{demo.http_url}/rate-limited?limit=3&window=60&key={uuid.uuid4().hex}", timeout=5)
    assert other.status_code == 200  # another client has its own allowance


def test_the_window_resets(demo: DemoProcess) -> None:
    url = f"{demo.http_url}/rate-limited?limit=1&window=1&key={uuid.uuid4().hex}"
    assert [httpx.get(url, timeout=5).status_code for _ in range(2)] == [200, 429]
    retry = int(httpx.get(url, timeout=5).headers["Retry-After"])
    assert retry == 1


def test_broken_mode_never_limits(broken_demo: DemoProcess) -> None:
    url = f"{broken_demo.http_url}/rate-limited?limit=2&window=60&key={uuid.uuid4().hex}"
    assert {httpx.get(url, timeout=5).status_code for _ in range(6)} == {200}


def test_bad_parameters_are_a_400(demo: DemoProcess) -> None:
    assert httpx.get(f"{demo.http_url}/rate-limited?limit=0", timeout=5).status_code == 400
