"""Pure statistics for latency SLOs: percentiles, order-statistic confidence intervals, exceedance.

Definitions (documented in the README, "Latency SLOs and metrics"):

- `percentile(values, p)` is Hyndman-Fan type 7 (numpy's default, k6's TrendSink,
  `statistics.quantiles(method="inclusive")`): sort, h = p * (n - 1), interpolate linearly
  between the values at floor(h) and ceil(h).
- `quantile_interval(n, p, confidence)` gives distribution-free bounds [x(l), x(u)] (1-based
  order statistics) for the p-quantile, each end a **one-sided** bound at `confidence`: with
  B ~ Binomial(n, p), P(B <= l - 1) <= 1 - c and P(B >= u) <= 1 - c.

Every question opsgate asks of a sample is one-sided, so all three rules are, and they agree:
the breach of a limit T is significant at c exactly when the lower bound x(l) lies above T, and
the upper bound x(u) exists exactly when n >= `min_samples_for_bound(p, c)` (p^n <= 1 - c: 59
samples for p95 at 0.95, the number SPEC-NOTES gives). An equal-tailed two-sided interval would
need 72 samples for that upper bound, so a profile accepted with 59 used to read "unbounded".
- `exceedance_p_value(n, k, p)` tests "the p-quantile is at most T" given k of n samples above T:
  P(Binomial(n, 1 - p) >= k). The breach is significant at confidence c when it is <= 1 - c.

Everything here is exact arithmetic on the binomial distribution (log-space via lgamma), no numpy
or scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The type-7 p-quantile (0 <= p <= 1) of already sorted values; ValueError when empty."""
    if not sorted_values:
        raise ValueError("percentile of an empty sample")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"percentile level must be within [0, 1], got {p}")
    h = p * (len(sorted_values) - 1)
    low = math.floor(h)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (h - low) * (sorted_values[high] - sorted_values[low])


def binom_pmf(k: int, n: int, p: float) -> float:
    """P(B = k) for B ~ Binomial(n, p), computed in log space so n in the millions is fine."""
    if k < 0 or k > n:
        return 0.0
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log_pmf = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
               + k * math.log(p) + (n - k) * math.log1p(-p))
    return math.exp(log_pmf)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(B <= k) for B ~ Binomial(n, p); 0 for k < 0 and 1 for k >= n."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    # Sum the shorter tail for accuracy: tiny tails are what confidence decisions hinge on.
    if k <= n * p:
        return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(k + 1)))
    return max(0.0, 1.0 - math.fsum(binom_pmf(i, n, p) for i in range(k + 1, n + 1)))


def binom_sf(k: int, n: int, p: float) -> float:
    """P(B >= k) for B ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if k > n * p:
        return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(k, n + 1)))
    return max(0.0, 1.0 - math.fsum(binom_pmf(i, n, p) for i in range(k)))


@dataclass(frozen=True)
class Interval:
    """1-based order-statistic ranks bounding the p-quantile, and the exact coverage they give.

    `lower` is None when even x(1) cannot serve as a lower bound at this confidence, `upper` is
    None when even x(n) cannot serve as an upper bound (the sample is too small for that side).
    """

    n: int
    p: float
    confidence: float
    lower: int | None
    upper: int | None
    coverage: float

    def bounds(self, sorted_values: Sequence[float]) -> tuple[float | None, float | None]:
        """The interval's end values in a sorted sample of size n."""
        if len(sorted_values) != self.n:
            raise ValueError(f"interval was computed for n={self.n}, got {len(sorted_values)} values")
        low = sorted_values[self.lower - 1] if self.lower is not None else None
        high = sorted_values[self.upper - 1] if self.upper is not None else None
        return low, high


def quantile_interval(n: int, p: float, confidence: float) -> Interval:
    """Distribution-free one-sided bounds [x(l), x(u)] for the p-quantile (see the module docs).

    l is the largest rank with P(B <= l - 1) <= a and u the smallest with P(B >= u) <= a,
    B ~ Binomial(n, p), a = 1 - confidence: so P(q_p >= x(l)) >= confidence and
    P(q_p <= x(u)) >= confidence; together they cover it with P(l <= B <= u - 1) >= 2c - 1.
    E.g. n=100, p=0.95, 95 % -> (91, 99); n=1000 -> (938, 962).
    """
    _check_levels(p, confidence)
    if n < 1:
        raise ValueError(f"need at least one sample, got n={n}")
    tail = 1.0 - confidence
    lower = _largest_lower_rank(n, p, tail)
    upper = _smallest_upper_rank(n, p, tail)
    low_rank = lower if lower is not None else 0
    high_rank = upper if upper is not None else n + 1
    coverage = binom_cdf(high_rank - 1, n, p) - binom_cdf(low_rank - 1, n, p)
    return Interval(n=n, p=p, confidence=confidence, lower=lower, upper=upper, coverage=coverage)


def _largest_lower_rank(n: int, p: float, tail: float) -> int | None:
    # P(B <= l - 1) grows with l: walk up while it stays within the tail.
    best: int | None = None
    cumulative = 0.0
    for rank in range(1, n + 1):
        cumulative += binom_pmf(rank - 1, n, p)
        if cumulative > tail:
            break
        best = rank
    return best


def _smallest_upper_rank(n: int, p: float, tail: float) -> int | None:
    # P(B >= u) shrinks as u grows: walk down from n while it stays within the tail.
    best: int | None = None
    survival = 0.0
    for rank in range(n, 0, -1):
        survival += binom_pmf(rank, n, p)
        if survival > tail:
            break
        best = rank
    return best


def exceedance_p_value(n: int, exceeding: int, p: float) -> float:
    """P(Binomial(n, 1 - p) >= exceeding): how likely `exceeding` of n samples lie above T if
    the p-quantile were really at most T. Small values mean the breach is real."""
    _check_levels(p, 0.5)
    if not 0 <= exceeding <= n:
        raise ValueError(f"exceeding must be within [0, {n}], got {exceeding}")
    return binom_sf(exceeding, n, 1.0 - p)


def breach_is_significant(n: int, exceeding: int, p: float, confidence: float) -> bool:
    """True when `exceeding` of n samples above T shows q_p > T at the given confidence."""
    _check_levels(p, confidence)
    return exceeding > 0 and exceedance_p_value(n, exceeding, p) <= 1.0 - confidence


def min_samples_for_bound(p: float, confidence: float) -> int:
    """Smallest n for which max(x) is an upper bound of q_p at `confidence`: p**n <= 1 - c.

    59 for p95 and 299 for p99 at 95 %.
    """
    _check_levels(p, confidence)
    return math.ceil(math.log(1.0 - confidence) / math.log(p) - 1e-12)


def min_samples_for_estimate(p: float) -> int:
    """Smallest n whose type-7 p-quantile rests on at least one sample above it: n*(1-p) >= 1.

    20 for p95, 100 for p99, 1000 for p99.9; fewer means the estimate is an extrapolation of the
    largest one or two values.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"percentile level must be within (0, 1), got {p}")
    return math.ceil(1.0 / (1.0 - p) - 1e-9)


def _check_levels(p: float, confidence: float) -> None:
    if not 0.0 < p < 1.0:
        raise ValueError(f"percentile level must be within (0, 1), got {p}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
