"""Security-header assessment of one HTTP response: baseline findings and an Observatory grade.

Pure and pytest-free: `assess()` parses the raw response header list once
(`headers.ResponseHeaders`, CSP included) and returns an `Assessment` with

* `findings` -- what the profile's `SecurityHeadersPolicy` judges (`baseline`: OWASP-style
  rules with stable ids, adjusted by `require`, `forbid` and `relax`);
* `score`, `grade`, `breakdown` -- the Mozilla HTTP Observatory score of the same headers
  (`observatory`: algorithm version 6), independent of the policy (a relaxed rule still
  costs Observatory points, as it would on the public service). The caller compares `grade`
  with `policy.min_grade` through `grade_at_least()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsgate.judges.security_headers.baseline import (
    RULES,
    HeaderFinding,
    baseline_findings,
    validate_rule_ids,
)
from opsgate.judges.security_headers.headers import ResponseHeaders
from opsgate.judges.security_headers.observatory import (
    ScoreLine,
    grade_for_score,
    score,
    score_lines,
)
from opsgate.targets.http import GRADES, HttpTarget, SecurityHeadersPolicy

if TYPE_CHECKING:
    from opsgate.probes.http import HttpResponse
    from opsgate.verdict import Verdict

__all__ = [
    "RULES",
    "Assessment",
    "HeaderFinding",
    "ScoreLine",
    "assess",
    "grade_at_least",
    "grade_for_score",
    "judge_security_headers",
    "validate_rule_ids",
]


@dataclass(frozen=True)
class Assessment:
    """Findings under the policy, plus the Observatory score, grade and per-test breakdown."""

    findings: list[HeaderFinding]
    score: int
    grade: str
    breakdown: list[ScoreLine]

    def breakdown_table(self) -> str:
        """The breakdown as an aligned plain-text table, ending with the score and grade."""
        width = max([len("test"), *(len(line.test) for line in self.breakdown)])
        rows = [f"{'test':<{width}}  {'modifier':>8}  reason"]
        for line in self.breakdown:
            modifier = f"{line.modifier:+d}" if line.modifier else "0"
            rows.append(f"{line.test:<{width}}  {modifier:>8}  {line.reason}")
        rows.append(f"score {self.score}, grade {self.grade}")
        return "\n".join(rows)


def grade_at_least(grade: str, minimum: str) -> bool:
    """Whether `grade` is `minimum` or better (A+ > A > A- > ... > F); unknown grades raise."""
    for g in (grade, minimum):
        if g not in GRADES:
            raise ValueError(f"unknown grade {g!r}; valid grades: {', '.join(GRADES)}")
    return GRADES.index(grade) <= GRADES.index(minimum)


def assess(headers: list[tuple[str, str]], *, https: bool, policy: SecurityHeadersPolicy) -> Assessment:
    """Judge one response's headers under `policy` and grade them as the Observatory would.

    `headers` is the raw list (names case-insensitive, repeated headers repeated). Findings
    come in `RULES` order; rules in `policy.relax` yield none (unknown ids raise ValueError).
    With `policy.base == "none"` only `require` and `forbid` are judged. The score and
    breakdown do not depend on the policy.
    """
    parsed = ResponseHeaders(headers, https=https)
    findings = baseline_findings(parsed, policy)
    breakdown = score_lines(parsed)
    points = score(breakdown)
    return Assessment(findings, points, grade_for_score(points), breakdown)


def judge_security_headers(target: HttpTarget, response: HttpResponse, verdict: Verdict) -> None:
    """Every header finding of the target's policy, plus its minimum Observatory grade."""
    policy = target.header_policy
    if policy is None:
        return
    assessment = assess(response.headers, https=response.https, policy=policy)
    verdict.evidence("security headers", assessment.breakdown_table())
    verdict.evidence("response headers", response.header_block())
    verdict.note("observatory score", assessment.score)
    verdict.note("grade", assessment.grade)
    for finding in assessment.findings:
        (verdict.fail if finding.level == "crit" else verdict.warn)(finding.message)
    if policy.min_grade and not grade_at_least(assessment.grade, policy.min_grade):
        verdict.fail(
            f"grade {assessment.grade} (score {assessment.score}) is below the minimum "
            f"{policy.min_grade}; the score breakdown is in the report"
        )
