"""Execute the example notebooks with nbclient and check what they show."""
import base64
import os
import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
from jupyter_client.kernelspec import NoSuchKernel  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def execute(name, folder):
    """Run ``examples/<name>`` in a fresh kernel, in ``folder``; return it and the seconds taken."""
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    # The kernel inherits this environment: quiet TensorFlow's C++ start-up logs.
    previous = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    try:
        client.execute()
    except NoSuchKernel:
        pytest.skip("no python3 Jupyter kernel installed")
    finally:
        if previous is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = previous
    return notebook, time.perf_counter() - start


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return execute("initialization_lab.ipynb", EXAMPLES)


def outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


def test_runs_without_error_and_fast(executed):
    notebook, seconds = executed
    errors = [o for o in outputs(notebook) if o.get("output_type") == "error"]
    assert not errors, errors
    assert seconds < 60, f"the lab took {seconds:.1f} s (aim: under 30 s)"


def test_shows_every_figure_as_an_image(executed):
    notebook, _ = executed
    images = [base64.b64decode(o["data"]["image/png"]) for o in outputs(notebook)
              if "image/png" in o.get("data", {})]
    # 2 comparison figures + 4 depth charts + 1 detailed figure + the training curves.
    assert len(images) == 8
    assert all(image.startswith(PNG_SIGNATURE) and len(image) > 5000 for image in images)


def test_every_network_names_its_layers_from_tanh_1(executed):
    notebook, _ = executed
    captions = [o["data"]["text/markdown"] for o in outputs(notebook) if "text/markdown" in o.get("data", {})]
    assert len(captions) == 4 and all(caption.endswith("in `tanh-1`") for caption in captions), captions


def test_printed_numbers_tell_the_story(executed):
    notebook, _ = executed
    text = "".join(o.get("text", "") for o in outputs(notebook) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^(.+?)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s+([-\d.e+]+)\s*$", line)
        if match:
            rows[match.group(1).strip()] = [float(value) for value in match.groups()[1:]]
    assert set(rows) == {"std 0.01", "N(0, 1)", "Xavier (Glorot)", "He"}, text
    # columns: std layer 1, std layer 10, mean saturated fraction, grad layer 1, grad layer 10
    small, unit, xavier, he = rows["std 0.01"], rows["N(0, 1)"], rows["Xavier (Glorot)"], rows["He"]
    assert small[0] == pytest.approx(0.214, rel=0.15) and small[1] < 1e-6  # vanishing (2.9e-7)
    assert unit[0] == pytest.approx(0.98, rel=0.05) and unit[2] == pytest.approx(0.9, abs=0.05)  # saturation
    assert unit[3] > 100  # gradients explode towards the input
    assert xavier[0] == pytest.approx(0.63, rel=0.15) and xavier[1] == pytest.approx(0.23, rel=0.15)
    assert xavier[2] < 0.01 and 0.1 < xavier[3] < 1.5  # healthy
    assert 0.4 < he[1] < 0.9 and he[2] < 0.05


def test_training_shows_who_learns_and_who_does_not(executed):
    notebook, _ = executed
    text = "".join(o.get("text", "") for o in outputs(notebook) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")
    assert "loss at step 0" in text, text
    rows = {}
    for line in text.split("loss at step 0", 1)[1].splitlines():
        match = re.match(r"^(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if match:
            rows[match.group(1).strip()] = [float(value) for value in match.groups()[1:]]
    assert set(rows) == {"std 0.01", "N(0, 1)", "Xavier (Glorot)", "He"}, text
    # columns: loss at step 0, mean loss of the last 10 steps, mean accuracy of the last 10 steps
    small, unit, xavier, he = rows["std 0.01"], rows["N(0, 1)"], rows["Xavier (Glorot)"], rows["He"]
    assert small[0] == pytest.approx(2.303, abs=0.01) and small[1] >= 2.2 and small[2] < 0.2  # stuck at chance
    assert unit[0] > 5 and unit[1] >= 2.2 and unit[2] < 0.2  # worse than chance, then chance
    assert xavier[1] <= 0.3 and xavier[2] >= 0.95  # learns (reference: 0.04, 99%)
    assert he[1] <= 0.3 and he[2] >= 0.95


def test_quickstart_builds_links_and_exports(tmp_path):
    notebook, _ = execute("quickstart.ipynb", tmp_path)
    assert not [o for o in outputs(notebook) if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs(notebook) if o.get("output_type") == "stream")
    assert "(?, 10) -> [... 5 layers ...] -> (?, 15)" in text
    assert ("['layer/hidden/weight:0', 'layer/hidden/bias:0', 'layer/output/weight:0', 'layer/output/bias:0', "
            "'layer/tied-a/weight:0', 'layer/tied-a/bias:0', 'layer/tied-b/bias:0']") in text
    assert "parameters: 1050" in text
    # the exported code holds both custom initializers and the link
    assert "class Scaled(init.Initializer):" in text and "class Gamma(init.Initializer):" in text
    assert "weight=network.layer('tied-a').variable('weight')" in text
    results = [o["data"]["text/plain"] for o in outputs(notebook) if o.get("output_type") == "execute_result"]
    assert "Scaled(scale=0.5)" in results
    assert "(1050, 1050)" in results  # Keras counts the shared weight once, like the network
    widget = [o for o in outputs(notebook) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widget) == 1
