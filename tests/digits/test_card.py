"""The model card: read and written as one source of truth, refused clearly when it is not one."""

from __future__ import annotations

import json

import pytest

from digits.card import CardError, ModelCard
from tests.harness import MODEL_DIR


def test_the_committed_card_round_trips_unchanged(tmp_path) -> None:
    card = ModelCard.read(MODEL_DIR)
    card.write(tmp_path)
    assert json.loads((tmp_path / "metrics.json").read_text()) == json.loads(
        (MODEL_DIR / "metrics.json").read_text()
    )


def test_what_answers_is_the_cascade_where_served_else_the_full_model() -> None:
    card = ModelCard.read(MODEL_DIR)
    full, cascade = card.answering(cascade=False), card.answering(cascade=True, screened=True)
    assert full.name == card.model.name and full.test_accuracy == card.test_accuracy
    assert cascade.name == card.cascade.name
    assert cascade.test_accuracy == card.cascade.test.accuracy
    assert cascade.parameters == card.model.parameters + card.cascade.fast_model_parameters
    assert cascade.not_a_digit == card.not_a_digit and full.not_a_digit is None


@pytest.mark.parametrize(
    "content, says",
    [("{", "not a model card"), ('{"model": {}}', "model.name"), ("[]", "not a model card")],
)
def test_a_broken_card_is_refused_saying_where(tmp_path, content, says) -> None:
    (tmp_path / "metrics.json").write_text(content)
    with pytest.raises(CardError, match=says):
        ModelCard.read(tmp_path)
    with pytest.raises(CardError, match="cannot read"):
        ModelCard.read(tmp_path / "missing")
