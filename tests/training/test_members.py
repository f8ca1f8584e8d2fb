"""An ensemble trained one member per run, then assembled from the member files."""

from __future__ import annotations

import json

from training.members import main


def test_members_train_alone_and_assemble(tmp_path) -> None:
    members, out = tmp_path / "members", tmp_path / "model"
    for member in (0, 1):
        args = ["train", "--member", str(member), "--members-dir", str(members)]
        assert main([*args, "--epochs", "1", "--limit", "512"]) == 0
    cards = [json.loads((members / f"deep-{k}.json").read_text()) for k in (0, 1)]
    assert [c["seed"] for c in cards] == [42, 43]  # member K: seed SEED+K
    assert cards[0]["split"] == cards[1]["split"] == {"seed": 42, "validation_size": 5000}
    assert (members / "deep-0.log.csv").read_text().startswith("epoch")
    assert main(["assemble", "--members-dir", str(members), "--output-dir", str(out)]) == 0
    card = json.loads((out / "metrics.json").read_text())
    assert card["model"]["members"] == 2 and card["model"]["architecture"] == "deep"
    assert card["model"]["parameters"] == sum(c["parameters"] for c in cards)
    assert [m["seed"] for m in card["training"]["members"]] == [42, 43]
    assert card["serving"]["same_digit"] == 1.0  # the compiled ensemble is the Keras one
    assert (out / "model.tflite").is_file()


def test_members_of_different_splits_are_not_assembled(tmp_path, capsys) -> None:
    members = tmp_path / "members"
    for member, seed in ((0, 42), (1, 7)):
        args = ["train", "--member", str(member), "--members-dir", str(members)]
        assert main([*args, "--seed", str(seed), "--epochs", "1", "--limit", "256"]) == 0
    assert main(["assemble", "--members-dir", str(members), "--output-dir", str(tmp_path)]) == 2
    assert "different splits" in capsys.readouterr().err
