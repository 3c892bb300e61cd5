"""Execute examples/convolutional.ipynb (a digit CNN: He vs Xavier vs std 0.01 kernels,
BatchNorm rescuing a bad scale) and check the numbers it prints against the theory
(REFERENCES §1, §3, §5)."""
import base64
import re

import pytest

from test_examples import PNG_SIGNATURE, execute, outputs


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    notebook, seconds = execute("convolutional.ipynb", tmp_path_factory.mktemp("lesson"))
    text = "".join(o.get("text", "") for o in outputs(notebook)
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return notebook, seconds, text


LABELS = ("std 0.01", "Xavier (Glorot)", "He")


def tables(text, header, labels):
    """Every table printed under a line starting with ``header``: ``{label: [numbers]}``
    of the lines right below it that start with one of ``labels``."""
    found = []
    for part in text.split("\n" + header)[1:]:
        table = {}
        for line in part.splitlines()[1:]:
            label = next((label for label in labels if re.match(rf"{re.escape(label)}\s", line)), None)
            if label is None:
                break
            table[label] = [float(value) for value in line[len(label):].split()]
        found.append(table)
    return found


def test_runs_fast_and_shows_every_figure(lesson):
    notebook, seconds, text = lesson
    assert not [o for o in outputs(notebook) if o.get("output_type") == "error"]
    assert seconds < 60, f"the lesson took {seconds:.1f} s"
    images = [base64.b64decode(o["data"]["image/png"]) for o in outputs(notebook) if "image/png" in o.get("data", {})]
    # 3 weight-panel figures, 1 comparison through depth, 1 depth chart with BatchNorm
    assert len(images) == 5 and all(image.startswith(PNG_SIGNATURE) and len(image) > 20_000 for image in images)
    assert "images: (500, 8, 8, 1)" in text
    assert "(?, 8, 8, 1) -> [... 16 layers ...] -> (?, 10)" in text
    assert "max-pooling-1      (None, 4, 4, 16)" in text and "parameters: 28266" in text


def test_kernel_fans_and_stds(lesson):
    text = lesson[2]
    table = {}
    for line in text.splitlines():
        match = re.match(r"^(std 0.01|Xavier \(Glorot\)|He)\s+(\([\d, ]+\))\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", line)
        if match:
            table[match.group(1), match.group(2)] = [float(value) for value in match.groups()[2:]]
    assert len(table) == 6
    # (3, 3, 1, 16): fan_in 9, fan_out 144; He √(2/9) = 0.471, Glorot √(2/153) = 0.114
    assert table["He", "(3, 3, 1, 16)"][:3] == [9, 144, 0.4714]
    assert table["Xavier (Glorot)", "(3, 3, 1, 16)"][2] == pytest.approx(0.1143, abs=1e-4)
    assert table["He", "(3, 3, 16, 16)"][:3] == [144, 144, 0.1179]
    assert table["std 0.01", "(3, 3, 16, 16)"][2] == 0.01
    for fan_in, fan_out, expected, measured in table.values():
        assert measured == pytest.approx(expected, rel=0.1)


def test_signal_through_depth(lesson):
    plain, normalized = tables(lesson[2], "initializer         relu 1", LABELS)
    small, xavier, he = plain["std 0.01"], plain["Xavier (Glorot)"], plain["He"]
    assert small[5] < 1e-6 and all(b < a / 5 for a, b in zip(small, small[1:5]))  # vanishes layer after layer
    assert xavier[5] < xavier[0] / 8 < 0.03
    assert all(0.2 < value < 1.0 for value in he[:6])  # He keeps the signal
    assert all(value == pytest.approx(0.5, abs=0.05) for value in (small[6], xavier[6], he[6]))  # dead fraction
    # with BatchNorm: one signal whatever the scale (the same seeds, only scaled)
    for label in ("std 0.01", "Xavier (Glorot)"):
        assert normalized[label][1:6] == pytest.approx(normalized["He"][1:6], abs=2e-3)
    assert all(value == pytest.approx(0.58, abs=0.03) for value in normalized["He"][:6])


def test_batchnorm_gives_tanh_a_unit_gaussian(lesson):
    text = lesson[2]
    assert "tanh of a unit Gaussian: std 0.628" in text
    table, = tables(text, "kernel std", ("0.01", "1", "10"))
    assert set(table) == {"0.01", "1", "10"}
    for with_bn, without, saturated in table.values():
        assert with_bn == pytest.approx(0.627, abs=0.015)  # REFERENCES §5, whatever the weight scale
    assert table["0.01"][1] < 0.05 and table["0.01"][2] == 0  # vanishing without BN
    assert table["10"][1] > 0.95 and table["10"][2] > 0.8  # saturated without BN
