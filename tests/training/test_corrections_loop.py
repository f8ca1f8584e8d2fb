"""The corrections loop end to end, bounded: 300 continental 1s corrected through the running
service, exported, trained on, checked; where the checks publish the new version, the service
swaps it in under load with no failed request and reads held-out continental 1s right.

Minutes of CPU (the networks are fine-tuned): the one test that trains the shipped model.
`bench.corrections` prints the same run's figures (bench/results.md)."""

from __future__ import annotations

import argparse
import json

import pytest

from bench.corrections import run


@pytest.mark.timeout(1800)
def test_corrections_of_a_way_of_writing_teach_a_new_version() -> None:
    result = run(
        argparse.Namespace(style="continental-1", corrections=300, held_out=200, poison=False)
    )
    print(json.dumps({k: v for k, v in result.items() if k != "training_tail"}, indent=2))
    assert result["before"] < 0.8  # the served model gets this way of writing wrong
    held = result["checks"]["held_out_corrections"]
    assert held["new"]["answered"] >= 0.9 > held["served"]["answered"]  # and the new one learnt it
    if result["published"]:
        assert result["served_version"] == "2" and result["load"]["failed"] == 0
        assert result["after"] >= 0.9 and result["served_test_accuracy"] >= 0.996
    else:  # the checks refused it: they say why
        assert result["refusals"], result["training_tail"]
