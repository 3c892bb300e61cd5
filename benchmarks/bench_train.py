"""Time per training step: ``neuwidgets.training`` against plain Keras ``fit`` on the same model.

Each row's network is exported with ``to_keras()``; both sides train it with SGD 0.1
on the same batches in the same order (a ``tf.data.Dataset``, as training feeds
``fit``), in chunks of ``--steps`` steps per ``fit`` call after one warm-up chunk
(tracing). Ours records per
step the loss, the accuracy and every layer's weight std and gradient std and checks
that nothing is NaN; the baseline is ``model.compile(SGD(0.1),
"sparse_categorical_crossentropy", metrics=["accuracy"])`` + ``fit``, which keeps only
running means. Chunks alternate between the two sides so that load from other
processes hits both alike; medians of ``--repeats`` chunks, and the median of the
ratios of neighbouring chunks. Goal: ratio <= 1.1.

What the bookkeeping costs does not grow with the batch: a std per weight and per
gradient is one more pass over every weight value, small beside the matrix products of
narrow layers (the lesson's network), comparable to them for wide layers with small
batches (measured on this 2-core machine, ±10% from run to run: 10 x 64, batch 64:
~1.0; 10 x 512, batch 64: 1.1-1.25; 10 x 512, batch 256: ~1.05).

    python benchmarks/bench_train.py [--steps 100] [--repeats 15]
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from neuwidgets import Input, Softmax, Tanh, init, join  # noqa: E402
from neuwidgets.datasets import digits  # noqa: E402
from neuwidgets.training import Comparison, _batch_rows  # noqa: E402

LEARNING_RATE = 0.1
#: (width, depth, batch size): the lesson's network, wide layers, wide layers with larger batches
ROWS = ((64, 10, 64), (512, 10, 64), (512, 10, 256))


def network(width, depth):
    """``depth`` Tanh layers of ``width`` units + Softmax(10) on the digits, Xavier weights."""
    return join(Input(64), *[Tanh(width, weight=init.XavierNormal(gain=2, seed=i)) for i in range(depth)],
                Softmax(10, weight=init.XavierNormal(gain=2, seed=depth)))


def fastest_step_seconds(width, depth, batch, steps, repeats):
    x, y = digits()
    ours = Comparison({"ours": network(width, depth)}, x, y, steps=steps * (repeats + 1), batch_size=batch,
                      learning_rate=LEARNING_RATE)
    model = network(width, depth).to_keras()
    model.compile(keras.optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []
    for chunk in range(repeats + 1):
        rows = _batch_rows(len(x), 0, chunk * steps * batch, (chunk + 1) * steps * batch)
        start = time.perf_counter()
        ours.run(max_steps=steps)
        middle = time.perf_counter()
        model.fit(tf.data.Dataset.from_tensor_slices((x[rows], y[rows])).batch(batch), epochs=1, shuffle=False,
                  verbose=0)
        end = time.perf_counter()
        if chunk:  # the first chunk traces the functions
            times.append((middle - start, end - middle))
    assert len(ours.results["ours"]["loss"]) == steps * (repeats + 1)
    return tuple(min(column) / steps for column in zip(*times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps per fit call (default 100)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"SGD {LEARNING_RATE} on the digits; {args.steps} steps per fit call, fastest of {args.repeats} calls")
    print(f"{'network, batch':<38} {'neuwidgets ms/step':>18} {'keras ms/step':>14} {'ratio':>6}  (goal <= 1.1)")
    for width, depth, batch in ROWS:
        ours, theirs = fastest_step_seconds(width, depth, batch, args.steps, args.repeats)
        label = f"{depth} x Tanh({width}) + Softmax(10), batch {batch}"
        print(f"{label:<38} {1000 * ours:18.3f} {1000 * theirs:14.3f} {ours / theirs:6.3f}")


if __name__ == "__main__":
    main()
