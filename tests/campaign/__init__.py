"""The fault campaign that stays in the suite: tables of hostile inputs, one row per case.

Each module holds a table (bad profiles refused, secret forms searched, ...) and the test that
runs every row against the real thing (the pytest command line, loopback servers). Add a row when
a new check kind, key or secret form lands; `docs/reliability.md` lists every row and its outcome,
and `test_reliability_doc.py` keeps the two in step.
"""
