"""The front-end tests read states a real builder published (js/fixtures/states.json),
and every published state fits the one definition of it (state.schema.json)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuwidgets.widgets.builder import check_state

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "js" / "fixtures" / "states.json"


@pytest.fixture(scope="module")
def published():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, str(HERE / "state_fixtures.py")], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_js_fixtures_are_what_a_real_builder_publishes_now(published):
    assert json.loads(FIXTURES.read_text(encoding="utf-8")) == published, (
        "js/fixtures/states.json is stale: run `python tests/state_fixtures.py --write`")


def test_the_fixtures_cover_links_refusals_untrusted_code_and_every_kind_of_field(published):
    assert {"sample", "linked", "broken link", "untrusted", "refused code", "refused units", "cnn",
            "slider drag with a pin and a held range", "digits after LSUV with the theory shown"} <= set(published)
    for case in published.values():
        check_state(case["state"])
    assert published["broken link"]["state"]["errors"][0]["kind"] == "link"
    assert published["untrusted"]["state"]["errors"][0]["kind"] == "untrusted"
    assert published["refused units"]["notice"]["ok"] is False
    assert "ZeroDivisionError" in published["refused code"]["notice"]["message"]
    classroom = published["slider drag with a pin and a held range"]["state"]
    assert classroom["pins"] == ["std 0.01"] and classroom["y_range"] is not None and classroom["can_undo"]
    digits = published["digits after LSUV with the theory shown"]["state"]
    assert digits["theory"] is True and digits["inputs"] == {"source": "digits", "choices": ["gaussian", "digits"]}
    assert [step["layer"] for step in digits["lsuv_log"]] == ["tanh-1", "softmax-1"]
    types = {field["type"] for kind in published["cnn"]["state"]["kinds"] for field in kind["fields"]}
    assert types == {"integer", "number", "choice", "integers"}
