"""children_of: the 'delete them first' message counts in words that agree."""

from __future__ import annotations

from unittest.mock import MagicMock

from forecasthub.services.registry import children_of

DATASET = "arn:aws:forecast:us-east-1:000000000000:dataset/shop_tts"


def test_one_child_is_singular_and_more_are_plural() -> None:
    session = MagicMock()
    session.scalar.return_value = 1
    assert children_of(session, DATASET) == "1 dataset import job"
    session.scalar.return_value = 3
    assert children_of(session, DATASET) == "3 dataset import jobs"
