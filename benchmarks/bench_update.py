"""How fast the builder shows an initialization, against a Keras + matplotlib baseline.

Reference network: Input(1024) + 10 x Sigmoid(1024) (about 10.5 million parameters).
Medians of several repeats, all measured in this one run (ratios to the baseline of
this run):

- baseline: build the same keras.Sequential, fetch every weight, ``ax.hist`` each kernel
  into one matplotlib figure with 10 axes, render it to PNG;
- first display: NetworkBuilder(design) — build every variable, publish every
  parameter's panel and the depth chart — goal <= 0.6;
- one edit: ``set_initializer(<hidden layer>, "weight", Normal(std=...))`` until every
  plot it changes (its panel and the depth chart) is published — goal <= 0.1;
- ``plot_weight_distributions`` + PNG of the reference network — goal <= 0.6;
- depth: the same edit on 100 x Tanh(256) against 10 x Tanh(256) — goal <= 1.5 (the
  cost of an edit follows what changed, not the depth); a slider preview on 100 layers;
  the bytes one edit sends to the browser at 100 layers (state and notice as JSON when
  they change, the panels message with its buffers, the depth chart) — goal <= 250 KB;
  the first display of 100 x Tanh(256) against the baseline — goal <= 1.0;
- peak memory of the first display (a fresh process) beyond what importing neuwidgets
  (TensorFlow, matplotlib) takes, against the weights' bytes: goal <= 1.5.

After the imports and a warm-up, ``gc.freeze()`` moves TensorFlow's half a million
objects out of the garbage collector's view, so that a full collection (about half a
second on a 2-core machine) does not land by chance in one measurement or another;
baseline and neuwidgets run under the same conditions.

Prints a table and writes benchmarks/results.json. Not a test.
"""
import gc
import io
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
WIDTH, DEPTH, REPEATS = 1024, 10, 5


def design():
    from neuwidgets import NetworkSpec
    layers = [{"kind": "Input", "name": "input-1", "shape": [WIDTH]}]
    for i in range(1, DEPTH + 1):
        layers.append({"kind": "Sigmoid", "name": f"sigmoid-{i}", "n_units": WIDTH, "options": {},
                       "parameters": {"weight": {"initializer": {"name": "HeNormal", "params": {"gain": 1.0}}},
                                      "bias": {"initializer": {"name": "Constant", "params": {"value": 0}}}}})
    return NetworkSpec({"format": 1, "layers": layers})


def tanh_design(depth, width=256):
    layers = [{"kind": "Input", "name": "input-1", "shape": [width]}]
    layers += [{"kind": "Tanh", "name": f"tanh-{i}", "n_units": width} for i in range(1, depth + 1)]
    return {"format": 2, "seed": 1, "layers": layers}


def baseline():
    import keras
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    start = time.perf_counter()
    model = keras.Sequential([keras.Input((WIDTH,))] + [keras.layers.Dense(WIDTH, activation="sigmoid")
                                                        for _ in range(DEPTH)])
    kernels = [layer.get_weights()[0] for layer in model.layers]
    figure = Figure(figsize=(15, 6))
    FigureCanvasAgg(figure)
    for i, kernel in enumerate(kernels):
        figure.add_subplot(2, 5, i + 1).hist(kernel.ravel(), bins=50)
    figure.savefig(io.BytesIO(), format="png")
    return time.perf_counter() - start


def first_display(spec):
    """A builder of ``spec`` with every panel and the depth chart published."""
    from neuwidgets import NetworkBuilder
    start = time.perf_counter()
    builder = NetworkBuilder(spec, seed=1)
    elapsed = time.perf_counter() - start
    assert builder.panels and builder.depth_chart
    return elapsed, builder


_STEPS = itertools.count()  # every edit a new value: something to resample and draw


def one_edit(builder, layer, preview=False):
    """Seconds for one set_initializer until its panel and the depth chart are published
    (the builder draws before it returns), and the bytes it sent to the browser."""
    from neuwidgets import init
    sent = []

    def traits(change):
        sent.append(len(change["new"]) if isinstance(change["new"], bytes) else len(json.dumps(change["new"])))

    def send(content, buffers=None):
        sent.append(len(json.dumps(content)) + sum(len(buffer) for buffer in buffers or ()))

    builder.observe(traits, ["state", "notice", "depth_chart"])
    builder.send = send
    std = 0.1 + 0.001 * next(_STEPS)
    start = time.perf_counter()
    builder.set_initializer(layer, "weight", init.Normal(std=std), preview=preview)
    elapsed = time.perf_counter() - start
    builder.unobserve(traits, ["state", "notice", "depth_chart"])
    del builder.send
    assert builder.panels[f"{layer}/weight"] and builder.depth_chart
    return elapsed, sum(sent)


def weight_figure(network):
    from neuwidgets import plotting
    start = time.perf_counter()
    plotting.figure_to_png(plotting.plot_weight_distributions(network))
    return time.perf_counter() - start


def rss_mb():
    """Resident memory of this process now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def memory_child():
    """Run in a fresh process: resident memory after imports, and its peak (sampled
    every 2 ms by a thread) while building and drawing every panel, then while drawing
    the depth chart."""
    import threading
    from neuwidgets import NetworkBuilder
    NetworkBuilder(NetworkBuilder().spec)  # warm TensorFlow and matplotlib on a tiny design
    after_import = rss_mb()
    peak, running = [after_import], [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    builder = NetworkBuilder(design(), plots=False)
    builder._draw_panels()
    time.sleep(0.01)
    full_peak, before_depth = peak[0], rss_mb()
    builder._draw_depth_chart()
    time.sleep(0.01)
    running[0] = False
    sampler.join()
    weights = sum(v.numpy().nbytes for v in builder.network.variables.values())
    print(json.dumps({"after_import_mb": after_import, "peak_mb": full_peak, "weights_mb": weights / 2**20,
                      "depth_chart_extra_mb": peak[0] - before_depth}))


def median(function, repeats=REPEATS):
    return statistics.median(function() for _ in range(repeats))


def main():
    if "--memory-child" in sys.argv:
        return memory_child()
    import neuwidgets  # noqa: F401
    baseline()  # warm-up: first TensorFlow/keras calls compile kernels
    first_display(tanh_design(3, 8))
    gc.collect()
    gc.freeze()
    base = median(baseline)
    displays = [first_display(design()) for _ in range(REPEATS)]
    full = statistics.median(seconds for seconds, _ in displays)
    builder = displays[-1][1]
    edit = median(lambda: one_edit(builder, "sigmoid-5")[0])
    figure = median(lambda: weight_figure(builder.network))
    shallow, deep = first_display(tanh_design(10))[1], first_display(tanh_design(100))[1]
    edit_10 = median(lambda: one_edit(shallow, "tanh-5")[0], 2 * REPEATS)
    edit_100 = median(lambda: one_edit(deep, "tanh-5")[0], 2 * REPEATS)
    preview_100 = median(lambda: one_edit(deep, "tanh-5", preview=True)[0], 2 * REPEATS)
    bytes_100 = max(one_edit(deep, "tanh-5")[1] for _ in range(3))
    display_100 = median(lambda: first_display(tanh_design(100))[0], 3)
    child = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True)
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    extra = memory["peak_mb"] - memory["after_import_mb"]
    results = {
        "network": f"Input({WIDTH}) + {DEPTH} x Sigmoid({WIDTH})",
        "parameters": builder.network.n_parameters,
        "baseline_s": base,
        "first_display_s": full, "first_display_ratio": full / base, "first_display_goal": 0.6,
        "edit_s": edit, "edit_ratio": edit / base, "edit_goal": 0.1,
        "weight_figure_s": figure, "weight_figure_ratio": figure / base, "weight_figure_goal": 0.6,
        "edit_10_tanh256_s": edit_10, "edit_100_tanh256_s": edit_100, "depth_ratio": edit_100 / edit_10,
        "depth_goal": 1.5, "preview_100_tanh256_s": preview_100,
        "bytes_per_edit_100": bytes_100, "bytes_goal": 250_000,
        "first_display_100_tanh256_s": display_100, "first_display_100_ratio": display_100 / base,
        "first_display_100_goal": 1.0,
        "memory_after_import_mb": memory["after_import_mb"], "memory_peak_mb": memory["peak_mb"],
        "weights_mb": memory["weights_mb"], "memory_ratio": extra / memory["weights_mb"], "memory_goal": 1.5,
        "depth_chart_extra_mb": memory["depth_chart_extra_mb"],
    }
    rows = [("baseline (keras build + 10 hist + PNG)", base, 1.0, None),
            ("first display (build, every panel, depth chart)", full, full / base, 0.6),
            ("one edit until its panel and depth chart are out", edit, edit / base, 0.1),
            ("plot_weight_distributions + PNG", figure, figure / base, 0.6),
            ("one edit, 10 x Tanh(256)", edit_10, None, None),
            ("one edit, 100 x Tanh(256) (ratio to 10 layers)", edit_100, edit_100 / edit_10, 1.5),
            ("one slider preview, 100 x Tanh(256)", preview_100, None, None),
            ("first display, 100 x Tanh(256)", display_100, display_100 / base, 1.0)]
    print(f"{results['network']}: {results['parameters']:,} parameters, medians of {REPEATS}")
    print(f"{'measure':52s} {'seconds':>9s} {'ratio':>7s} {'goal':>6s}")
    for name, seconds, ratio, goal in rows:
        print(f"{name:52s} {seconds:9.3f} {'' if ratio is None else f'{ratio:7.3f}':>7s} "
              f"{'' if goal is None else f'{goal:6.2f}':>6s}")
    print(f"bytes sent by one edit at 100 layers: {bytes_100 / 1000:.0f} KB (goal <= 250 KB)")
    print(f"memory: peak {memory['peak_mb']:.0f} MiB, after imports {memory['after_import_mb']:.0f} MiB, "
          f"weights {memory['weights_mb']:.0f} MiB -> extra/weights {results['memory_ratio']:.2f} (goal <= 1.5); "
          f"the depth chart then adds {memory['depth_chart_extra_mb']:.0f} MiB at its peak")
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
