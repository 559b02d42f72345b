"""Valid crons pass the dialect's validator; near misses fail it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from workerflow_kit import strategies as wst
from workerflow_kit.contracts import cron


@settings(max_examples=300)
@given(wst.cloudflare_crons())
def test_valid_crons_validate(expression: str) -> None:
    cron.validate(expression)


@settings(max_examples=300)
@given(wst.cloudflare_crons(valid=False))
def test_invalid_crons_are_rejected(expression: str) -> None:
    with pytest.raises(cron.CronSyntaxError):
        cron.validate(expression)
