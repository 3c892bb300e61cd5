"""How fast the builder shows an initialization, against a Keras + matplotlib baseline.

Reference network: Input(1024) + 10 x Sigmoid(1024) (about 10.5 million parameters).
Medians of several repeats, all measured in this one run:

- baseline: build the same keras.Sequential, fetch every weight, ``ax.hist`` each kernel
  into one matplotlib figure with 10 axes, render it to PNG;
- full: NetworkBuilder(design) — build every variable and publish every parameter's
  panel — ratio to baseline, goal <= 0.6 (the depth chart, drawn next, is reported apart);
- one edit: ``set_initializer(<hidden layer>, "weight", Normal(std=0.1))`` until that
  panel's PNG is published — ratio to baseline, goal <= 0.08;
- peak memory of the full run (a fresh process) beyond what importing neuwidgets
  (TensorFlow, matplotlib) takes, against the weights' bytes: goal <= 1.5.

Prints a table and writes benchmarks/results.json. Not a test.
"""
import io
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


def full():
    """Build every variable and publish every parameter's panel; then the depth chart."""
    from neuwidgets import NetworkBuilder
    spec = design()
    start = time.perf_counter()
    builder = NetworkBuilder(spec, plots=False)
    builder._draw_panels()
    elapsed = time.perf_counter() - start
    builder._draw_depth_chart()
    depth = time.perf_counter() - start - elapsed
    builder.plots = True
    assert len(builder.panels) == 2 * DEPTH and builder.depth_chart
    return elapsed, depth, builder


def one_edit(builder):
    from neuwidgets import init
    key = "sigmoid-5/weight"
    done = {}
    before = builder.panels[key]

    def panel_ready(change):
        if change["new"].get(key) != before and "t" not in done:
            done["t"] = time.perf_counter()

    builder.observe(panel_ready, "panels")
    start = time.perf_counter()
    builder.set_initializer("sigmoid-5", "weight", init.Normal(std=0.1 + 0.01 * len(builder._undo)))
    total = time.perf_counter() - start
    builder.unobserve(panel_ready, "panels")
    return done["t"] - start, total


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


def main():
    if "--memory-child" in sys.argv:
        return memory_child()
    import neuwidgets  # noqa: F401
    baseline()  # warm-up: first TensorFlow/keras calls compile kernels
    base = statistics.median(baseline() for _ in range(REPEATS))
    fulls, depths, builder = [], [], None
    for _ in range(REPEATS):
        elapsed, depth, builder = full()
        fulls.append(elapsed)
        depths.append(depth)
    edits = [one_edit(builder) for _ in range(REPEATS)]
    panel_times = statistics.median(e[0] for e in edits)
    edit_totals = statistics.median(e[1] for e in edits)
    child = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True)
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    extra = memory["peak_mb"] - memory["after_import_mb"]
    results = {
        "network": f"Input({WIDTH}) + {DEPTH} x Sigmoid({WIDTH})",
        "parameters": builder.network.n_parameters,
        "baseline_s": base,
        "full_s": statistics.median(fulls), "full_ratio": statistics.median(fulls) / base, "full_goal": 0.6,
        "edit_panel_s": panel_times, "edit_ratio": panel_times / base, "edit_goal": 0.08,
        "edit_with_depth_chart_s": edit_totals, "depth_chart_s": statistics.median(depths),
        "memory_after_import_mb": memory["after_import_mb"], "memory_peak_mb": memory["peak_mb"],
        "weights_mb": memory["weights_mb"], "memory_ratio": extra / memory["weights_mb"], "memory_goal": 1.5,
        "depth_chart_extra_mb": memory["depth_chart_extra_mb"],
    }
    print(f"{results['network']}: {results['parameters']:,} parameters, medians of {REPEATS}")
    print(f"{'measure':44s} {'seconds':>9s} {'ratio':>7s} {'goal':>6s}")
    print(f"{'baseline (keras build + 10 hist + PNG)':44s} {base:9.3f} {1:7.2f}")
    print(f"{'full (build + every parameter panel)':44s} {results['full_s']:9.3f} {results['full_ratio']:7.3f} {0.6:6.2f}")
    print(f"{'then the depth chart':44s} {results['depth_chart_s']:9.3f} {results['depth_chart_s'] / base:7.3f}")
    print(f"{'one edit until its panel is published':44s} {panel_times:9.3f} {results['edit_ratio']:7.3f} {0.08:6.2f}")
    print(f"{'one edit including the depth chart':44s} {edit_totals:9.3f} {edit_totals / base:7.3f}")
    print(f"memory: peak {memory['peak_mb']:.0f} MiB, after imports {memory['after_import_mb']:.0f} MiB, "
          f"weights {memory['weights_mb']:.0f} MiB -> extra/weights {results['memory_ratio']:.2f} (goal <= 1.5); "
          f"the depth chart then adds {memory['depth_chart_extra_mb']:.0f} MiB at its peak")
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
