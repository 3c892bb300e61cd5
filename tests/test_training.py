"""Training side by side: neuwidgets.training.compare, plot_training and `python -m neuwidgets train`."""
import math
import os
import subprocess
import sys
import textwrap
import threading
import types
import warnings

import numpy as np
import pytest
import tensorflow as tf

from neuwidgets import (Input, InvalidTypeError, InvalidValueError, Linear, NetworkSpec, Relu, ShapeError, Softmax,
                        Tanh, init, join)
from neuwidgets import __main__ as cli
from neuwidgets import datasets, plotting, training

from _designs import ran, small, text, with_custom

STEPS = 300
INITIALIZERS = {
    "std 0.01": lambda i: init.Normal(std=0.01, seed=i),
    "N(0, 1)": lambda i: init.Normal(std=1.0, seed=i),
    "Xavier": lambda i: init.XavierNormal(gain=2, seed=i),
}


def deep_tanh(make_weight, depth=10, width=64):
    """Input(64), ``depth`` Tanh(width) layers and Softmax(10), layer i's weight from make_weight(i)."""
    return join(Input(64), *[Tanh(width, weight=make_weight(i), name=f"tanh-{i + 1}") for i in range(depth)],
                Softmax(10, weight=make_weight(depth), name="out"))


@pytest.fixture(scope="module")
def digits():
    return datasets.digits()


@pytest.fixture(scope="module")
def lesson(digits):
    """The issue's experiment, trained once: 10 Tanh(64) + Softmax(10), SGD 0.1, batch 64, 300 steps."""
    networks = {label: deep_tanh(make) for label, make in INITIALIZERS.items()}
    initial = {label: [v.numpy().copy() for v in network.variables.values()] for label, network in networks.items()}
    runs = training.compare(networks, *digits, steps=STEPS, batch_size=64, optimizer="sgd", learning_rate=0.1)
    return networks, initial, runs


def test_the_initialization_decides_who_learns(lesson):
    _, _, runs = lesson
    small_std, unit, xavier = runs["std 0.01"], runs["N(0, 1)"], runs["Xavier"]
    # REFERENCES §7: N(0, 0.01) 2.303 -> 2.304 at 10%; N(0, 1) -> 2.36 at 9%; Glorot -> 0.04 at 99.5%
    assert small_std["loss"][-1] >= 2.2
    assert np.allclose(small_std["loss"], math.log(10), atol=0.01)  # chance from first step to last
    assert np.mean(small_std["accuracy"][-50:]) == pytest.approx(0.1, abs=0.04)
    assert unit["loss"][0] > 5 and np.mean(unit["loss"][-10:]) == pytest.approx(2.33, abs=0.1)
    assert np.mean(unit["accuracy"][-50:]) == pytest.approx(0.1, abs=0.04)
    assert xavier["loss"][-1] <= 0.3
    assert np.mean(xavier["loss"][-10:]) == pytest.approx(0.04, abs=0.03)
    assert np.mean(xavier["accuracy"][-10:]) >= 0.98
    assert all(run["stopped"] is None for run in runs.values())


def test_every_step_is_recorded_from_step_0(lesson, digits):
    networks, _, runs = lesson
    names = [f"tanh-{i}" for i in range(1, 11)] + ["out"]
    for label, run in runs.items():
        assert len(run["loss"]) == len(run["accuracy"]) == STEPS
        assert list(run["weight_std"]) == list(run["grad_std"]) == names
        assert all(len(values) == STEPS for values in [*run["weight_std"].values(), *run["grad_std"].values()])
        for name in names:  # step 0: the initial weights
            initial = np.std(networks[label].layer(name).variable("weight").numpy())
            assert run["weight_std"][name][0] == pytest.approx(initial, rel=1e-5)
    # Step 0 of Xavier, computed here without Keras on the first batch (the rows training uses).
    x, y = digits
    rows = training._batch_rows(len(x), 0, 0, 64)
    network = networks["Xavier"]
    with tf.GradientTape() as tape:
        probabilities = network.output(x[rows])
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y[rows], probabilities))
    weights = [network.layer(name).variable("weight") for name in names]
    gradients = tape.gradient(loss, weights)
    run = runs["Xavier"]
    assert run["loss"][0] == pytest.approx(float(loss), rel=1e-5)
    assert run["accuracy"][0] == pytest.approx(np.mean(np.argmax(probabilities, axis=1) == y[rows]))
    for name, gradient in zip(names, gradients):
        assert run["grad_std"][name][0] == pytest.approx(float(tf.math.reduce_std(gradient)), rel=1e-4)
    # std 0.01: almost nothing reaches the first layer (vanishing gradient), nothing moves
    assert runs["std 0.01"]["grad_std"]["tanh-1"][0] < 1e-10
    assert runs["std 0.01"]["weight_std"]["tanh-1"][-1] == pytest.approx(
        runs["std 0.01"]["weight_std"]["tanh-1"][0], rel=1e-4)
    # N(0, 1): the exploding gradient kicks the first layer's weights
    assert runs["N(0, 1)"]["weight_std"]["tanh-1"][-1] > 2 * runs["N(0, 1)"]["weight_std"]["tanh-1"][0]


def test_the_given_networks_keep_their_initial_values(lesson):
    networks, initial, _ = lesson
    for label, network in networks.items():
        for before, variable in zip(initial[label], network.variables.values()):
            assert np.array_equal(before, variable.numpy())


def test_batches_and_steps_are_the_same_for_every_label_and_chunking(digits):
    x, y = digits[0][:200], digits[1][:200]
    make = INITIALIZERS["Xavier"]
    one_go = training.compare({"a": deep_tanh(make, depth=2, width=16), "b": deep_tanh(make, depth=2, width=16)},
                              x, y, steps=9, batch_size=48)
    assert one_go["a"] == one_go["b"]  # same initial values, same batches: the same curves
    network = deep_tanh(make, depth=2, width=16)
    comparison = training.Comparison({"a": network}, x, y, steps=9, batch_size=48)
    assert [comparison.run(max_steps=4), len(comparison.results["a"]["loss"])] == [False, 4]
    assert [comparison.run(max_steps=4), comparison.run(max_steps=4), comparison.done] == [False, True, True]
    with pytest.raises(InvalidValueError, match="max_steps must be a positive integer, got 0"):
        comparison.run(max_steps=0)
    chunked = comparison.results["a"]
    trained = comparison.models["a"].get_layer("tanh-1").kernel.numpy()  # the copy trained, the network not
    assert np.std(trained) == pytest.approx(chunked["weight_std"]["tanh-1"][-1], rel=0.05)
    assert not np.allclose(trained, network.layer("tanh-1").variable("weight").numpy())
    assert np.allclose(chunked["loss"], one_go["a"]["loss"], rtol=1e-6)
    assert np.allclose(chunked["grad_std"]["tanh-1"], one_go["a"]["grad_std"]["tanh-1"], rtol=1e-5)
    other_seed = training.compare({"a": deep_tanh(make, depth=2, width=16)}, x, y, steps=9, batch_size=48, seed=1)
    assert other_seed["a"]["loss"][0] != one_go["a"]["loss"][0]
    # 9 steps of 48 rows: every sample once per epoch, in a new order each epoch
    rows = training._batch_rows(200, 0, 0, 9 * 48)
    assert sorted(rows[:200]) == list(range(200)) and sorted(rows[200:400]) == list(range(200))
    assert not np.array_equal(rows[:200], rows[200:400])


def test_progress_and_stop_between_steps_from_a_thread(digits):
    calls, stop, results = [], threading.Event(), {}

    def progress(label, step, steps):  # e.g. a Stop button pressed while step 6 ran
        calls.append((label, step, steps))
        if step == 6:
            stop.set()
    network = deep_tanh(INITIALIZERS["Xavier"], depth=1, width=8)
    thread = threading.Thread(target=lambda: results.update(training.compare(
        {"a": network}, *digits, steps=500, progress=progress, stop=stop.is_set)))
    thread.start()
    thread.join(timeout=120)
    assert calls == [("a", step, 500) for step in range(1, 7)]
    assert len(results["a"]["loss"]) == 6 and results["a"]["stopped"] is None


def test_loss_is_inferred_from_the_output_layer_and_can_be_overridden(digits):
    x, y = digits[0][:256], digits[1][:256]
    targets = np.eye(10, dtype=np.float32)[y]
    linear = join(Input(64), Linear(10, weight=init.Normal(std=0.1, seed=1)))
    runs = training.compare({"linear": linear}, x, targets, steps=2, batch_size=32)
    first = x[training._batch_rows(256, 0, 0, 32)]
    expected = np.mean((linear.predict(first) - targets[training._batch_rows(256, 0, 0, 32)]) ** 2)
    assert runs["linear"]["accuracy"] is None
    assert runs["linear"]["loss"][0] == pytest.approx(expected, rel=1e-5)  # mean squared error
    softmax = deep_tanh(INITIALIZERS["Xavier"], depth=1, width=8)
    runs = training.compare({"softmax": softmax}, x, targets, steps=2, batch_size=32, loss="mean_squared_error")
    assert runs["softmax"]["accuracy"] is None
    assert runs["softmax"]["loss"][0] < 0.2  # a squared error of probabilities, not a cross-entropy (~2.3)


def test_a_spec_and_a_builder_train_like_their_network(digits):
    x, y = digits[0][:128], digits[1][:128]
    network = deep_tanh(INITIALIZERS["Xavier"], depth=2, width=8)
    spec = NetworkSpec.from_network(network)
    builder = types.SimpleNamespace(network=network)  # the widget: anything with a .network
    runs = training.compare({"network": network, "spec": spec, "builder": builder}, x, y, steps=3, batch_size=32)
    assert runs["network"] == runs["builder"]
    assert np.allclose(runs["network"]["loss"], runs["spec"]["loss"], rtol=1e-6)


def test_adam_is_another_optimizer(digits):
    x, y = digits[0][:128], digits[1][:128]
    make = lambda: deep_tanh(INITIALIZERS["Xavier"], depth=1, width=8)  # noqa: E731
    sgd = training.compare({"a": make()}, x, y, steps=3, batch_size=32)["a"]
    adam = training.compare({"a": make()}, x, y, steps=3, batch_size=32, optimizer="adam", learning_rate=0.01)["a"]
    assert adam["loss"][0] == sgd["loss"][0] and adam["loss"][1] != sgd["loss"][1]


def _bad_inputs(digits, folder):
    x, y = digits[0][:100], digits[1][:100]
    net = lambda: deep_tanh(INITIALIZERS["Xavier"], depth=1, width=4)  # noqa: E731
    untrusted = NetworkSpec(with_custom(folder))
    small_x = np.zeros((100, 4), np.float32)
    nan_x = x.copy()
    nan_x[7, 3] = np.nan
    return {
        "labels beyond the output": (dict(y=np.where(y == 9, 10, y)), InvalidValueError,
                                     "y holds labels 0 .. 10, but Softmax layer 'out' of network 'a' has 10 units: "
                                     "labels must be 0 .. 9"),
        "negative labels": (dict(y=y - 1), InvalidValueError, "labels must be 0 .. 9"),
        "fractional labels": (dict(y=y + 0.5), InvalidValueError, "one integer class label per sample"),
        "x of another width": (dict(x=x[:, :63]), ShapeError,
                               "network 'a' expects inputs of shape (?, 64), x has shape (100, 63)"),
        "NaN in x": (dict(x=nan_x), InvalidValueError, "x holds 1 NaN or infinite values (the first in sample 7)"),
        "y of another length": (dict(y=y[:99]), ShapeError, "y has shape (99), x has 100 samples"),
        "0 steps": (dict(steps=0), InvalidValueError, "steps must be a positive integer, got 0"),
        "negative steps": (dict(steps=-5), InvalidValueError, "steps must be a positive integer, got -5"),
        "steps as bool": (dict(steps=True), InvalidValueError, "steps must be a positive integer, got True"),
        "unknown optimizer": (dict(optimizer="sgdd"), InvalidValueError,
                              "optimizer must be one of sgd, adam, adamw, rmsprop, adagrad, nadam, got 'sgdd'"),
        "unknown loss": (dict(loss="hinge"), InvalidValueError, "loss must be None"),
        "zero learning rate": (dict(learning_rate=0), InvalidValueError, "learning_rate must be a positive number"),
        "batch larger than x": (dict(batch_size=101), InvalidValueError, "batch_size is 101, more than the 100"),
        "not a network": (dict(networks={"a": "Tanh"}), InvalidTypeError,
                          "network 'a' must be a Network, a NetworkSpec or a builder with a .network, got str"),
        "no networks": (dict(networks={}), InvalidTypeError, "networks must be a non-empty dict"),
        "label not a string": (dict(networks={1: net()}), InvalidTypeError, "network labels must be strings"),
        "strategy of another type": (dict(strategy="mirrored"), InvalidTypeError, "strategy must be None or a"),
        "untrusted spec": (dict(networks={"custom": untrusted}, x=small_x, y=np.zeros((100, 3), np.float32)),
                           InvalidValueError, "network 'custom' holds untrusted custom initializer code (Boom), "
                                              "which has not run"),
        "untrusted network (builder)": (dict(networks={"custom": types.SimpleNamespace(
            network=untrusted.build_report().network)}, x=small_x), InvalidValueError,
            "trust the design (NetworkSpec(..., trust=True), builder.trust())"),
        "broken link": (dict(networks={"linked": NetworkSpec({**small(), "layers": small()["layers"][:2] + [
            {**small()["layers"][2], "parameters": {"weight": {"link": "a"}, "bias": None}}]})}, x=small_x),
            InvalidValueError, "network 'linked': Relu layer 'b': parameter 'weight': link to 'a' does not fit"),
    }, dict(networks={"a": net()}, x=x, y=y, steps=3)


def test_bad_input_gets_a_clear_error(digits, tmp_path):
    cases, good = _bad_inputs(digits, tmp_path)
    for case, (change, error, message) in cases.items():
        with pytest.raises(error) as raised:
            training.compare(**{**good, **change})
        assert message in str(raised.value), (case, str(raised.value))
        assert len(str(raised.value)) < 400, case
    assert ran(tmp_path) == []  # the untrusted code never ran


def test_a_diverging_run_stops_and_says_where(digits):
    x, y = digits
    targets = np.eye(10, dtype=np.float32)[y]
    relu = join(Input(64), Relu(32, weight=init.HeNormal(gain=2, seed=1)), Relu(32, weight=init.HeNormal(gain=2, seed=2)),
                Linear(10, weight=init.HeNormal(seed=3)))
    huge = join(Input(64), Linear(64, weight=1e20), Linear(10, weight=1e20))  # overflows at once
    with pytest.warns(RuntimeWarning) as caught:
        runs = training.compare({"relu": relu, "huge": huge}, x, targets, steps=50, learning_rate=5.0)
    assert runs["relu"]["stopped"] == ("diverged at step 3: the gradient of layer 'linear-1' was the first to become "
                                       "NaN or infinite; training stopped, the curves end at step 2")
    assert len(runs["relu"]["loss"]) == 3 and len(runs["relu"]["weight_std"]["relu-1"]) == 3
    assert runs["relu"]["loss"][2] > 1e6 and np.all(np.isfinite(runs["relu"]["loss"]))
    assert runs["huge"]["stopped"] == ("diverged at step 0: the output of layer 'linear-3' was the first to become NaN "
                                       "or infinite; training stopped, no step was recorded")
    assert runs["huge"]["loss"] == [] and runs["huge"]["weight_std"]["linear-2"] == []
    assert [str(w.message) for w in caught] == [f"training 'relu': {runs['relu']['stopped']}",
                                                 f"training 'huge': {runs['huge']['stopped']}"]
    figure = plotting.plot_training(runs)  # a diverged run still draws, with its step in the legend
    assert "relu (diverged at step 3)" in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def test_plot_training_draws_loss_accuracy_and_weight_std(lesson):
    _, _, runs = lesson
    figure = plotting.plot_training(runs, first_steps=40, title="digits")
    ax_loss, ax_accuracy, *panels = figure.axes
    assert len(panels) == 3 and [ax.get_title(loc="left") for ax in panels] == list(runs)
    assert [line.get_label() for line in ax_loss.get_lines()] == list(runs)
    assert np.allclose(ax_loss.get_lines()[2].get_ydata(), runs["Xavier"]["loss"])
    assert np.allclose(ax_accuracy.get_lines()[0].get_ydata(), runs["std 0.01"]["accuracy"])
    lines = panels[1].get_lines()  # N(0, 1): one line per layer, 41 points, divided by step 0
    assert len(lines) == 11 and len(lines[0].get_ydata()) == 41 and lines[0].get_ydata()[0] == 1
    assert lines[0].get_ydata()[-1] > 2  # the first layer's weights jump
    names = [text.get_text() for text in panels[1].get_legend().get_texts()]  # 11 layers: the first and the last
    assert names == [lines[0].get_label(), lines[-1].get_label()]
    few = {"a": {**runs["Xavier"], "weight_std": dict(list(runs["Xavier"]["weight_std"].items())[:4])}}
    assert len(plotting.plot_training(few).axes[2].get_legend().get_texts()) == 4  # up to 6: every layer named
    assert ax_loss.get_yscale() == "log" and figure.get_facecolor()[3] == 0
    assert plotting.figure_to_png(figure).startswith(b"\x89PNG")
    with pytest.raises(InvalidTypeError, match="runs must be a non-empty dict"):
        plotting.plot_training({})
    with pytest.raises(InvalidValueError, match="first_steps must be a positive integer, got 0"):
        plotting.plot_training(runs, first_steps=0)


def test_strategy_trains_on_two_logical_cpus(tmp_path):
    script = textwrap.dedent("""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import numpy as np
        from neuwidgets import Input, Softmax, Tanh, datasets, init, join, training
        x, y = datasets.digits()
        network = join(Input(64), *[Tanh(16, weight=init.XavierNormal(gain=2, seed=i)) for i in range(3)],
                       Softmax(10, weight=init.XavierNormal(gain=2, seed=3)))
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        comparison = training.Comparison({"a": network}, x, y, steps=20, strategy=strategy)
        comparison.run()
        mirrored = comparison.models["a"].layers[1].kernel.value
        alone = training.compare({"a": network}, x, y, steps=20)["a"]
        split = comparison.results["a"]
        print(strategy.num_replicas_in_sync, type(mirrored).__name__, len(split["loss"]),
              max(abs(a / b - 1) for key in ("weight_std", "grad_std") for layer in alone[key]
                  for a, b in zip(split[key][layer], alone[key][layer])),
              np.max(np.abs(np.subtract(split["loss"], alone["loss"]))))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    replicas, variable, steps, std_difference, loss_difference = done.stdout.split()
    assert (replicas, variable, steps) == ("2", "MirroredVariable", "20")
    # the batch split between two replicas: the same loss, and the whole batch's gradient std
    assert float(std_difference) < 1e-4 and float(loss_difference) < 1e-4


# -- python -m neuwidgets train ---------------------------------------------------------------

def _design(tmp_path, name, make_weight, depth=2):
    path = tmp_path / f"{name}.json"
    path.write_text(NetworkSpec.from_network(deep_tanh(make_weight, depth=depth, width=16)).to_json())
    return path


def test_cli_trains_designs_side_by_side(tmp_path, capsys):
    designs = [_design(tmp_path, "small", INITIALIZERS["std 0.01"]), _design(tmp_path, "xavier", INITIALIZERS["Xavier"])]
    output = tmp_path / "curves.png"
    status = cli.main(["train", *map(str, designs), "--steps", "40", "-o", str(output), "--dpi", "40"])
    out, err = capsys.readouterr()
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["design", "loss", "at", "step", "0", "loss,", "last", "10", "steps", "accuracy,",
                                "last", "10"]
    rows = {line.split()[0]: [float(value) for value in line.split()[1:]] for line in lines[1:3]}
    assert rows["small"][0] == pytest.approx(2.303, abs=0.01) and rows["small"][1] >= 2.2
    assert rows["xavier"][1] < rows["small"][1] - 0.3 and rows["xavier"][2] > 0.5
    assert lines[3:] == [f"wrote {output}"] and output.read_bytes().startswith(b"\x89PNG")
    # the progress bar: redrawn in place on stderr, one finished line per design
    assert err.count("\n") == 2 and err.endswith("xavier [" + "#" * 30 + "] 40/40\n")
    assert "\rsmall [" + "#" * 15 + "." * 15 + "] 20/40" in err


def test_cli_bad_input_gets_one_line_and_status_2(tmp_path, capsys):
    folder = tmp_path / "markers"
    folder.mkdir()
    (tmp_path / "custom.json").write_text(text(with_custom(folder)))
    (tmp_path / "narrow.json").write_text(text(small()))
    good = str(_design(tmp_path, "good", INITIALIZERS["Xavier"], depth=1))
    cases = {
        "untrusted": ([str(tmp_path / "custom.json")], "custom.json: the design holds custom initializer code "
                      "(Boom); read it in the file, then pass --trust to run it"),
        "wrong width": ([str(tmp_path / "narrow.json")], "network 'narrow' expects inputs of shape (?, 4), x has "
                        "shape (1797, 64) (train uses the digits"),
        "0 steps": ([good, "--steps", "0"], "steps must be a positive integer, got 0"),
        "unknown optimizer": ([good, "--optimizer", "sgdd"], "optimizer must be one of"),
        "missing file": ([str(tmp_path / "missing.json")], "cannot read '"),
        "not a design": ([str(tmp_path / "markers")], "cannot read '"),
        "output folder missing": ([good, "-o", str(tmp_path / "nope" / "c.png")], "the folder"),
    }
    for case, (argv, expected) in cases.items():
        status = cli.main(["train", *argv])
        out, err = capsys.readouterr()
        assert status == 2 and out == "", case
        assert err.startswith("neuwidgets train: ") and err.count("\n") == 1, (case, err)
        assert expected in err, (case, err)
    assert ran(folder) == []  # refused before any custom code ran
    assert cli.main(["train", str(tmp_path / "custom.json"), "--trust", "--steps", "2", "-o",
                     str(tmp_path / "c.png"), "--dpi", "30"]) == 2  # trusted: it runs, then its width is refused
    assert ran(folder) == ["defined", "sampled"]
    assert "expects inputs of shape (?, 4)" in capsys.readouterr().err


def test_cli_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--steps", "--batch-size", "--optimizer", "--learning-rate", "--seed", "--trust", "-o OUTPUT"):
        assert option in out
