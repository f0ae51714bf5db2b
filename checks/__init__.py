"""opsgate's built-in checks, one module per check kind; the wheel ships them as `opsgate.checks`."""
