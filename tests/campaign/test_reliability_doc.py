"""docs/reliability.md lists every row of every campaign table, so the page cannot fall behind."""

from __future__ import annotations

from pathlib import Path

from tests.campaign import test_bad_profiles, test_false_green, test_secret_forms

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_every_campaign_row_is_documented() -> None:
    text = DOC.read_text()
    rows = ([f"`{case[0]}`" for case in test_bad_profiles.CASES]
            + [f"| {form} |" for form, _ in test_secret_forms.SECRET_FORMS]
            + [f"| {row[0]} |" for row in test_false_green.ROWS])
    assert [row for row in rows if row not in text] == []
