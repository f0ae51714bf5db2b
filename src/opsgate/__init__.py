"""opsgate: runbook checks as pytest tests, parametrized from an environment profile."""


class ThresholdWarning(UserWarning):
    """A measured value crossed a `warn` threshold but not its `crit` one.

    The test passes; `-W error::opsgate.ThresholdWarning` (or `--opsgate-strict`) turns
    these into failures for a strict gate.
    """


__version__ = "0.1.0"
__all__ = ["ThresholdWarning", "__version__"]
