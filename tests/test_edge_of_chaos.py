"""Execute examples/edge_of_chaos.ipynb and check the numbers it prints against the theory."""
import base64
import re

import pytest

from test_examples import EXAMPLES, PNG_SIGNATURE, execute, outputs


@pytest.fixture(scope="module")
def lesson():
    notebook, seconds = execute("edge_of_chaos.ipynb", EXAMPLES)
    text = "".join(o.get("text", "") for o in outputs(notebook)
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return notebook, seconds, text


def rows(text, first):
    """``{label: [numbers]}`` of the table whose header starts with ``first``."""
    lines = text.split(first, 1)[1].splitlines()[1:]
    table = {}
    for line in lines:
        match = re.match(r"^(\S+(?:, \S+)?)\s+((?:[-\d.e+inf]+\s+)*[-\d.e+inf]+)(?:\s+[a-z]+)?\s*$", line)
        if not match:
            break
        table[match.group(1)] = [float(value) for value in match.group(2).split()]
    return table


def test_runs_without_error_fast_and_shows_every_figure(lesson):
    notebook, seconds, _ = lesson
    assert not [o for o in outputs(notebook) if o.get("output_type") == "error"]
    assert seconds < 60, f"the lesson took {seconds:.1f} s (aim: under 30 s)"
    images = [base64.b64decode(o["data"]["image/png"]) for o in outputs(notebook) if "image/png" in o.get("data", {})]
    # phase diagram, propagation, depth chart, Jacobian spectrum, LSUV before/after
    assert len(images) == 5 and all(image.startswith(PNG_SIGNATURE) and len(image) > 10000 for image in images)


def test_theory_table(lesson):
    table = rows(lesson[2], "theory")
    # σ_w², q*, χ₁, c*, ξ_c
    assert table["ordered"] == pytest.approx([1.2, 0.2699, 0.8452, 1.0, 5.94], abs=1e-3)
    assert table["critical"][:4] == pytest.approx([1.761, 0.570, 1.0, 1.0], abs=1e-3)
    assert table["critical"][4] == float("inf") and "critical" in lesson[2]
    assert table["chaotic"] == pytest.approx([3.0, 1.428, 1.2089, 0.2993, 9.05], abs=2e-3)


def test_the_network_follows_the_map(lesson):
    table = rows(lesson[2], "measured")
    for label in ("ordered", "critical", "chaotic"):
        q_error, c_error, c_last, c_theory_last = table[label]
        assert q_error < 0.1 and c_error < 0.03, (label, table[label])
        assert c_last == pytest.approx(c_theory_last, abs=0.03)
    assert table["ordered"][2] > 0.98 and table["chaotic"][3] == pytest.approx(0.30, abs=0.03)
    fitted, theory = map(float, re.search(r"depth scale \(ordered\): fitted ([\d.]+) layers, theory ([\d.]+)",
                                          lesson[2]).groups())
    assert theory == pytest.approx(5.94, abs=0.01) and fitted == pytest.approx(theory, rel=0.15)


def test_jacobian_spectra(lesson):
    table = rows(lesson[2], "jacobian")
    # mean s², max s², 10th and 90th percentile of s²
    assert table["linear, orthogonal"] == pytest.approx([1.0, 1.0, 1.0, 1.0], abs=1e-3)
    tanh = table["tanh, orthogonal"]
    assert tanh[0] == pytest.approx(1.0, abs=0.1) and tanh[1] < 4 and tanh[2] > 0.1 and tanh[3] < 3
    assert table["tanh, Gaussian"][1] > 20 and table["tanh, Gaussian"][2] < 1e-6
    assert table["ReLU, orthogonal"][1] > 50 and table["ReLU, orthogonal"][2] < 1e-6


def test_lsuv_repairs_the_saturated_network(lesson):
    text = lesson[2]
    assert "lsuv: 10/10 layers converged, iterations [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]" in text
    before, after = map(float, re.search(r"saturated fraction: before ([\d.]+), after ([\d.]+)", text).groups())
    assert before > 0.7 and after < 0.02
    assert text.count("Var(z) = 1 after 1 rescaling") == 3
