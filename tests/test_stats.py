"""Percentiles, binomial tails and order-statistic intervals against exact reference values."""

from __future__ import annotations

import dataclasses
import math
import statistics
from fractions import Fraction

import pytest

from opsgate import stats


def exact_cdf(k: int, n: int, p: Fraction) -> Fraction:
    """P(B <= k) in exact rational arithmetic: the reference the float code must match."""
    return sum((math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)), Fraction(0))


@pytest.mark.parametrize(("n", "p", "lower", "upper"), [
    (100, 0.95, 91, 99), (1000, 0.95, 938, 962), (1000, 0.99, 985, 996),
])
def test_each_end_is_a_one_sided_bound(n: int, p: float, lower: int, upper: int) -> None:
    interval = stats.quantile_interval(n, p, 0.95)
    assert (interval.lower, interval.upper) == (lower, upper)
    q = Fraction(p).limit_denominator(1000)
    # The extreme ranks at a = 0.05 per side, in exact arithmetic: one rank further fails.
    assert exact_cdf(lower - 1, n, q) <= Fraction(5, 100) < exact_cdf(lower, n, q)
    assert 1 - exact_cdf(upper - 1, n, q) <= Fraction(5, 100) < 1 - exact_cdf(upper - 2, n, q)
    assert interval.coverage >= 2 * 0.95 - 1


def test_interval_coverage_is_the_binomial_probability() -> None:
    interval = stats.quantile_interval(100, 0.95, 0.95)
    expected = exact_cdf(98, 100, Fraction(95, 100)) - exact_cdf(90, 100, Fraction(95, 100))
    assert interval.coverage == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("p", [0.9, 0.95, 0.99])
def test_the_upper_bound_exists_exactly_from_the_minimum_sample_size(p: float,
                                                                     confidence: float) -> None:
    # n = 59, p95, 0.95: the profile accepted the sample while the evidence read "unbounded".
    needed = stats.min_samples_for_bound(p, confidence)
    assert stats.quantile_interval(needed, p, confidence).upper == needed
    assert stats.quantile_interval(needed - 1, p, confidence).upper is None


@pytest.mark.parametrize("n", [20, 59, 100, 300])
def test_a_significant_breach_is_one_whose_lower_bound_lies_above_the_limit(n: int) -> None:
    interval = stats.quantile_interval(n, 0.95, 0.95)
    for above in range(n + 1):  # `above` samples over the limit T: x(n - above) <= T < x(n - above + 1)
        lower_bound_above_limit = interval.lower is not None and interval.lower >= n - above + 1
        assert stats.breach_is_significant(n, above, 0.95, 0.95) == lower_bound_above_limit, above


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


def test_samples_for_the_maximum_when_the_bound_is_met_exactly() -> None:
    assert stats.min_samples_for_bound(0.5, 0.75) == 2  # 0.5**2 == 0.25 exactly


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


def test_binomial_mass_at_the_edges_of_p_and_k() -> None:
    assert stats.binom_pmf(-1, 5, 0.5) == 0.0 and stats.binom_pmf(6, 5, 0.5) == 0.0
    assert stats.binom_pmf(0, 5, 0.5) == stats.binom_pmf(5, 5, 0.5) == pytest.approx(1 / 32, rel=1e-12)
    # p = 1: all the mass on k = n (also where n is too large to be a cached small int).
    assert [stats.binom_pmf(k, 5, 1.0) for k in range(6)] == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    n = int("1000")  # equal to k but another object: the rule must compare values
    assert stats.binom_pmf(1000, n, 1.0) == 1.0


def test_tiny_tails_keep_their_precision() -> None:
    # 2**-100 is far below float's resolution near 1: summing the wrong tail would give 0.
    assert stats.binom_cdf(0, 100, 0.5) == pytest.approx(0.5**100, rel=1e-12, abs=0)
    assert stats.binom_sf(100, 100, 0.5) == pytest.approx(0.5**100, rel=1e-12, abs=0)
    assert stats.binom_sf(1, 100, 0.5) == 1.0


@pytest.mark.parametrize(("k", "n", "p"), [(6, 10, "1/2"), (97, 100, "95/100"), (2, 60, "1/20")])
def test_binomial_tails_above_the_mean_against_exact_fractions(k: int, n: int, p: str) -> None:
    expected = float(exact_cdf(k, n, Fraction(p)))
    assert stats.binom_cdf(k, n, float(Fraction(p))) == pytest.approx(expected, rel=1e-12)
    assert stats.binom_sf(k, n, float(Fraction(p))) == pytest.approx(
        1 - float(exact_cdf(k - 1, n, Fraction(p))), rel=1e-12)


def test_interval_bounds_read_the_order_statistics() -> None:
    interval = stats.quantile_interval(100, 0.95, 0.95)  # x(91), x(99): one-sided bounds
    values = [float(i) for i in range(100)]
    assert interval.bounds(values) == (90.0, 98.0)
    large = stats.quantile_interval(1000, 0.95, 0.95)  # x(938), x(962)
    assert large.bounds([float(i) for i in range(1000)]) == (937.0, 961.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        interval.lower = 1  # type: ignore[misc]
    for wrong in (values[:-1], [*values, 100.0]):
        with pytest.raises(ValueError, match="interval was computed for n=100"):
            interval.bounds(wrong)


def test_interval_of_tiny_samples() -> None:
    # n = 1, p99: x(1) is a lower bound (P(B <= 0) = 1 % <= 5 %), nothing is an upper one.
    assert (stats.quantile_interval(1, 0.99, 0.95).lower, stats.quantile_interval(1, 0.99, 0.95).upper) \
        == (1, None)
    # n = 5, median: each end holds 1/32 <= 5 %, so x(1) and x(5) bound it, covering 1 - 2/32.
    interval = stats.quantile_interval(5, 0.5, 0.95)
    assert (interval.lower, interval.upper, interval.coverage) == (1, 5, 0.9375)
    # n = 4, median: each end holds 1/16 > 5 %, so neither bound exists; coverage is all of it.
    interval = stats.quantile_interval(4, 0.5, 0.95)
    assert (interval.lower, interval.upper, interval.coverage) == (None, None, 1.0)
    # n = 1, p1: x(1) is an upper bound (P(B >= 1) = 1 %), nothing is a lower one.
    assert stats.quantile_interval(1, 0.01, 0.95).upper == 1
    with pytest.raises(ValueError, match="need at least one sample, got n=0"):
        stats.quantile_interval(0, 0.5, 0.95)


def test_a_breach_needs_at_least_one_sample_above() -> None:
    # 1 of 1 above T for a p99: P = 0.01, significant at 95 %; 0 of any is never a breach.
    assert stats.breach_is_significant(1, 1, 0.99, 0.95)
    assert not stats.breach_is_significant(1, 0, 0.99, 0.95)
    with pytest.raises(ValueError, match="exceeding must be within"):
        stats.exceedance_p_value(10, -1, 0.95)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 1.5])
def test_levels_outside_the_open_interval_are_refused(level: float) -> None:
    for call in (lambda: stats.quantile_interval(10, level, 0.95),
                 lambda: stats.quantile_interval(10, 0.5, level),
                 lambda: stats.exceedance_p_value(10, 1, level),
                 lambda: stats.min_samples_for_bound(level, 0.95),
                 lambda: stats.min_samples_for_estimate(level)):
        with pytest.raises(ValueError, match="must be within"):
            call()


def test_percentile_accepts_the_closed_interval_only() -> None:
    values = [1.0, 2.0, 3.0]
    assert (stats.percentile(values, 0.0), stats.percentile(values, 1.0)) == (1.0, 3.0)
    for level in (-0.5, 1.5):
        with pytest.raises(ValueError, match=r"within \[0, 1\]"):
            stats.percentile(values, level)
