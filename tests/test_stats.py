"""Percentiles, binomial tails and order-statistic intervals against exact reference values."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

import pytest

from opsgate import stats


def exact_cdf(k: int, n: int, p: Fraction) -> Fraction:
    """P(B <= k) in exact rational arithmetic: the reference the float code must match."""
    return sum((math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)), Fraction(0))


@pytest.mark.parametrize(("n", "p", "lower", "upper"), [
    (100, 0.95, 90, 100), (1000, 0.95, 936, 964), (1000, 0.99, 983, 997),
])
def test_interval_matches_the_spec_notes(n: int, p: float, lower: int, upper: int) -> None:
    interval = stats.quantile_interval(n, p, 0.95)
    assert (interval.lower, interval.upper) == (lower, upper)
    assert interval.coverage >= 0.95


def test_interval_coverage_is_the_binomial_probability() -> None:
    interval = stats.quantile_interval(100, 0.95, 0.95)
    expected = exact_cdf(99, 100, Fraction(95, 100)) - exact_cdf(89, 100, Fraction(95, 100))
    assert interval.coverage == pytest.approx(float(expected), rel=1e-12)


def test_interval_has_no_upper_bound_when_the_sample_is_too_small() -> None:
    interval = stats.quantile_interval(20, 0.99, 0.95)
    assert interval.upper is None
    # The lower rank is still defined: the largest l with P(B <= l - 1) <= 2.5 %, here 19.
    tail = Fraction(1, 40)
    expected = max(rank for rank in range(1, 21) if exact_cdf(rank - 1, 20, Fraction(99, 100)) <= tail)
    assert interval.lower == expected == 19
    values = [float(i) for i in range(20)]
    assert interval.bounds(values) == (18.0, None)


def test_interval_ranks_at_the_exact_tail_boundary() -> None:
    # n=2, p=0.5, 50 %: each tail may hold 0.25, and P(B <= 0) = P(B >= 2) = 0.25 exactly, so
    # x(1) and x(2) both qualify: a tail equal to the limit is within it.
    interval = stats.quantile_interval(2, 0.5, 0.5)
    assert (interval.lower, interval.upper) == (1, 2)


@pytest.mark.parametrize(("p", "n"), [(0.95, 59), (0.99, 299), (0.9, 29)])
def test_samples_for_the_maximum_to_bound_the_quantile(p: float, n: int) -> None:
    assert stats.min_samples_for_bound(p, 0.95) == n
    assert p**n <= 0.05 < p ** (n - 1)


@pytest.mark.parametrize(("p", "n"), [(0.5, 2), (0.9, 10), (0.95, 20), (0.99, 100), (0.999, 1000)])
def test_samples_for_an_estimate(p: float, n: int) -> None:
    assert stats.min_samples_for_estimate(p) == n


@pytest.mark.parametrize(("k", "n", "p"), [(0, 10, "1/2"), (3, 10, "1/2"), (89, 100, "95/100"),
                                           (5, 60, "5/100"), (935, 1000, "95/100"), (59, 60, "1/20")])
def test_binomial_cdf_against_exact_fractions(k: int, n: int, p: str) -> None:
    expected = float(exact_cdf(k, n, Fraction(p)))
    assert stats.binom_cdf(k, n, float(Fraction(p))) == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert stats.binom_sf(k + 1, n, float(Fraction(p))) == pytest.approx(1 - expected, rel=1e-9,
                                                                          abs=1e-15)


def test_binomial_edges() -> None:
    assert stats.binom_cdf(-1, 10, 0.3) == 0.0
    assert stats.binom_cdf(10, 10, 0.3) == 1.0
    assert stats.binom_sf(0, 10, 0.3) == 1.0
    assert stats.binom_sf(11, 10, 0.3) == 0.0
    assert stats.binom_pmf(3, 10, 0.0) == 0.0 and stats.binom_pmf(0, 10, 0.0) == 1.0


def test_percentile_is_type_7() -> None:
    values = sorted([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    inclusive = statistics.quantiles(values, n=100, method="inclusive")
    for q in range(1, 100):
        assert stats.percentile(values, q / 100) == pytest.approx(inclusive[q - 1])
    assert stats.percentile(values, 0.0) == 1.0 and stats.percentile(values, 1.0) == 9.0
    # k6/numpy: i = p*(n-1) = 0.95*9 = 8.55 between 9th (9.0) and 10th (10.0) value.
    assert stats.percentile([float(i) for i in range(1, 11)], 0.95) == pytest.approx(9.55)


def test_percentile_refuses_an_empty_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        stats.percentile([], 0.5)


def test_exceedance_test() -> None:
    # 4 of 60 above T when p95 <= T would leave 5 % above: P(Bin(60, .05) >= 4) ~ 0.35.
    assert stats.exceedance_p_value(60, 4, 0.95) == pytest.approx(
        1 - float(exact_cdf(3, 60, Fraction(1, 20))), rel=1e-9)
    assert not stats.breach_is_significant(60, 4, 0.95, 0.95)
    assert stats.breach_is_significant(60, 8, 0.95, 0.95)  # P ~ 0.01
    assert not stats.breach_is_significant(60, 0, 0.95, 0.95)
    assert stats.exceedance_p_value(60, 0, 0.95) == 1.0


def test_a_p_value_exactly_at_the_limit_is_significant() -> None:
    # 2 of 2 above T when the median were at most T: P = 0.25 exactly, the limit at 75 %.
    assert stats.exceedance_p_value(2, 2, 0.5) == 0.25
    assert stats.breach_is_significant(2, 2, 0.5, 0.75)
    assert not stats.breach_is_significant(2, 1, 0.5, 0.75)  # P = 0.75
