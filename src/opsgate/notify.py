"""Notifications after a run: Slack-compatible chat, a generic JSON webhook, Alertmanager.

A run that fails tells someone: the failed checks, each with its first finding and runbook, and
where the reports are. A run that passes after a failing one says so when a notification asks
for `recovery`. Alertmanager gets one alert per check (firing for a failure, resolved for a
pass), so its routing, silences and on-call schedules apply. Payloads are built from the
summary.json document, whose every text is already redacted.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from opsgate.targets import Strict

Format = Literal["slack", "json", "alertmanager"]
Event = Literal["failure", "recovery"]
FAILED = ("fail", "error")
TIMEOUT = 10.0
# Alertmanager resolves a firing alert nobody renews after this long: a bit more than a day, so
# the daily run's alerts stay up until the next run says otherwise.
ALERT_LIFETIME = datetime.timedelta(hours=26)


class Notification(Strict):
    """`notify:` entry of a profile: where to post, in which format, on which events."""

    url: str
    format: Format = "json"
    on: list[Event] = Field(default_factory=lambda: ["failure"], min_length=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {where(url)!r}")
        return url


def parse_cli(text: str, recovery: bool) -> Notification:
    """`--notify=[slack:|json:|alertmanager:]URL`; a bare URL is the generic JSON webhook."""
    kind, _, rest = text.partition(":")
    if kind in ("slack", "json", "alertmanager") and rest.startswith(("http://", "https://")):
        url, chosen = rest, kind
    else:
        url, chosen = text, "json"
    on: list[Event] = ["failure", "recovery"] if recovery else ["failure"]
    return Notification(url=url, format=chosen, on=on)  # type: ignore[arg-type]


def where(url: str) -> str:
    """A notification URL as it may be shown: webhook paths are credentials (Slack's are)."""
    parts = urlsplit(url)
    if not parts.scheme:
        return url.split("/")[0] + "/..."
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/..."


@dataclass(frozen=True)
class Run:
    """What a notification tells: this run's summary, the last one's verdict, the reports."""

    data: dict[str, Any]
    previously_failed: bool | None  # None: no earlier run of this profile and suite is known
    reports: str

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [c for c in self.data["checks"] if c["outcome"] in FAILED]

    @property
    def event(self) -> Event | None:
        if self.failed:
            return "failure"
        return "recovery" if self.previously_failed else None

    @property
    def title(self) -> str:
        data, suite = self.data, self.data["markers"] or "all checks"
        if self.failed:
            return (f"opsgate FAILED: profile {data['profile']} ({suite}): {len(self.failed)} of "
                    f"{len(data['checks'])} checks failing")
        return (f"opsgate RECOVERED: profile {data['profile']} ({suite}): "
                f"all {len(data['checks'])} checks pass")


def first_finding(check: dict[str, Any]) -> str:
    findings = check["findings"]
    return findings[0]["message"] if findings else (check["message"] or check["outcome"])


def slack_payload(run: Run) -> dict[str, Any]:
    """Slack incoming-webhook JSON (Mattermost and Rocket.Chat accept it too)."""
    lines = [f"• *{c['check']} {c['target']}*: {first_finding(c)}"
             + (f" (<{c['runbook']}|runbook>)" if c["runbook"] else "") for c in run.failed]
    text = "\n".join([f"*{run.title}*", *lines, f"Reports: {run.reports}"])
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]}


def json_payload(run: Run) -> dict[str, Any]:
    data = run.data
    return {
        "event": run.event, "title": run.title, "profile": data["profile"], "suite": data["markers"],
        "host": data["host"], "finished_at": data["finished_at"], "totals": data["totals"],
        "failed": [{"check": c["check"], "target": c["target"], "outcome": c["outcome"],
                    "finding": first_finding(c), "runbook": c["runbook"]} for c in run.failed],
        "reports": run.reports,
    }


def alertmanager_payload(run: Run, now: datetime.datetime) -> list[dict[str, Any]]:
    """One alert per check: firing while it fails, resolved (endsAt now) when it passes."""
    data, alerts = run.data, []
    for check in data["checks"]:
        if check["outcome"] == "skip":
            continue
        failing = check["outcome"] in FAILED
        alert: dict[str, Any] = {
            "labels": {"alertname": "OpsgateCheckFailed", "profile": data["profile"],
                       "suite": data["markers"] or "all", "kind": check["check"],
                       "target": check["target"], "severity": "critical"},
            "annotations": {"summary": f"{check['check']} {check['target']}: {first_finding(check)}"
                            if failing else f"{check['check']} {check['target']} passes",
                            "reports": run.reports},
            "startsAt": _iso(now),
            "endsAt": _iso(now + ALERT_LIFETIME if failing else now),
        }
        if check["runbook"]:
            alert["annotations"]["runbook_url"] = check["runbook"]
        alerts.append(alert)
    return alerts


def send(notifications: list[Notification], run: Run) -> list[str]:
    """Post to every notification that wants this run; returns what failed."""
    import httpx

    problems = []
    for notification in notifications:
        if not _wanted(notification, run.event):
            continue
        url, body = _request(notification, run)
        try:
            response = httpx.post(url, json=body, timeout=TIMEOUT)
            response.raise_for_status()
        except httpx.HTTPError as error:
            problems.append(f"notification to {where(notification.url)} ({notification.format}) "
                            f"not sent: {_reason(error)}")
    return problems


def _wanted(notification: Notification, event: Event | None) -> bool:
    if notification.format == "alertmanager":
        return True  # every run, as Prometheus does: failures renewed, passes resolved
    return event is not None and event in notification.on


def previously_failed(summary_json: Path, profile: str, markers: str | None) -> bool | None:
    """Whether the last run of this profile and suite failed, from its summary.json (None when
    there is none to tell)."""
    try:
        data = json.loads(summary_json.read_text())
    except (OSError, ValueError):
        return None
    if data.get("profile") != profile or data.get("markers") != (markers or None):
        return None
    totals = data.get("totals", {})
    return bool(totals.get("fail") or totals.get("error"))


def _request(notification: Notification, run: Run) -> tuple[str, Any]:
    if notification.format == "slack":
        return notification.url, slack_payload(run)
    if notification.format == "alertmanager":
        now = datetime.datetime.now(datetime.UTC)
        return notification.url.rstrip("/") + "/api/v2/alerts", alertmanager_payload(run, now)
    return notification.url, json_payload(run)


def _reason(error: Exception) -> str:
    import httpx

    if isinstance(error, httpx.HTTPStatusError):  # its text would show the URL
        return f"HTTP {error.response.status_code}"
    return str(error) or type(error).__name__


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
