"""Tools integration tests: the live-internet opt-in."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``live`` touch the real internet: they are DESELECTED (not skipped) unless
    KEFU_LIVE_TESTS=1, so the default run never depends on the network. Opt in with
    ``KEFU_LIVE_TESTS=1 .venv/bin/python -m pytest tests/integration/tools -m live``."""
    import os

    if os.environ.get("KEFU_LIVE_TESTS") == "1":
        return
    live = [item for item in items if item.get_closest_marker("live") is not None]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item.get_closest_marker("live") is None]
