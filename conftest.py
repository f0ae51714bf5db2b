"""The repo root is itself a ready-to-run suite: `pytest --profile local` runs `checks/`.

The opsgate plugin is registered through its `pytest11` entry point; nothing else is needed here.
"""
