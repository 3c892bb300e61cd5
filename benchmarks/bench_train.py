"""Time per training step: ``neuwidgets.training`` against plain Keras ``fit`` on the same model.

Each row's network is exported with ``to_keras()``; both sides train it with SGD 0.1,
batch 64, on the same rows in the same order (``fit(..., shuffle=False)``), in chunks of
``--steps`` steps per ``fit`` call after one warm-up chunk (tracing). Ours records per
step the loss, the accuracy and every layer's weight std and gradient std and checks
that nothing is NaN; the baseline is ``model.compile(SGD(0.1),
"sparse_categorical_crossentropy", metrics=["accuracy"])`` + ``fit``, which keeps only
running means. Chunks alternate between the two sides so that load from other
processes hits both alike; medians of ``--repeats`` chunks. Goal: ratio <= 1.1.

    python benchmarks/bench_train.py [--steps 100] [--repeats 15]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from neuwidgets import Input, Softmax, Tanh, init, join  # noqa: E402
from neuwidgets.datasets import digits  # noqa: E402
from neuwidgets.training import Comparison, _batch_rows  # noqa: E402

BATCH, LEARNING_RATE = 64, 0.1


def network(width, depth):
    """``depth`` Tanh layers of ``width`` units + Softmax(10) on the digits, Xavier weights."""
    return join(Input(64), *[Tanh(width, weight=init.XavierNormal(gain=2, seed=i)) for i in range(depth)],
                Softmax(10, weight=init.XavierNormal(gain=2, seed=depth)))


def median_step_seconds(width, depth, steps, repeats):
    x, y = digits()
    ours = Comparison({"ours": network(width, depth)}, x, y, steps=steps * (repeats + 1), batch_size=BATCH,
                      learning_rate=LEARNING_RATE)
    model = network(width, depth).to_keras()
    model.compile(keras.optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []
    for chunk in range(repeats + 1):
        rows = _batch_rows(len(x), 0, chunk * steps * BATCH, (chunk + 1) * steps * BATCH)
        start = time.perf_counter()
        ours.run(max_steps=steps)
        middle = time.perf_counter()
        model.fit(x[rows], y[rows], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        end = time.perf_counter()
        if chunk:  # the first chunk traces the functions
            times.append((middle - start, end - middle))
    assert len(ours.results["ours"]["loss"]) == steps * (repeats + 1)
    return tuple(statistics.median(column) / steps for column in zip(*times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps per fit call (default 100)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"SGD {LEARNING_RATE}, batch {BATCH}, digits; {args.steps} steps per fit call, "
          f"median of {args.repeats} calls")
    print(f"{'network':<28} {'neuwidgets ms/step':>18} {'keras ms/step':>14} {'ratio':>6}  (goal <= 1.1)")
    for width, depth in ((64, 10), (512, 10)):
        ours, theirs = median_step_seconds(width, depth, args.steps, args.repeats)
        label = f"{depth} x Tanh({width}) + Softmax(10)"
        print(f"{label:<28} {1000 * ours:18.3f} {1000 * theirs:14.3f} {ours / theirs:6.3f}")


if __name__ == "__main__":
    main()
