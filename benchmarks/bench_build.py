"""Time to build a network (create all its variables): neuwidgets vs keras.Sequential.

Network: ``Input(1024)`` + 10 x ``Sigmoid(1024)`` (10.5 M parameters), the same in
``keras.Sequential`` (``Dense(1024, activation="sigmoid")``, built, weights created).
Prints the median of several repeats per row and the ratio neuwidgets / keras
(goal: <= 1.0) for:

- the same distribution on both sides: Glorot uniform (Keras' default;
  ``XavierUniform(gain=2)`` here) and LeCun normal (neuwidgets' default ``HeNormal()``;
  ``VarianceScaling(1, "fan_in", "untruncated_normal")`` in Keras);
- each library's default, for information: a normal distribution costs about twice a
  uniform one to sample (TensorFlow's and NumPy's samplers alike), so this row
  measures the distribution, not the library.

    python benchmarks/bench_build.py [--repeats 7]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from neuwidgets import init  # noqa: E402
from neuwidgets.layers import Input, Sigmoid, join  # noqa: E402

UNITS, DEPTH = 1024, 10
_DEFAULT = object()


def build_neuwidgets(weight=_DEFAULT):
    kwargs = {} if weight is _DEFAULT else {"weight": weight}
    network = join(Input(UNITS), *[Sigmoid(UNITS, **kwargs) for _ in range(DEPTH)])
    variables = list(network.variables.values())  # creates every variable
    assert len(variables) == 2 * DEPTH
    return variables


def build_keras(kernel_initializer="glorot_uniform"):
    model = keras.Sequential([keras.Input((UNITS,))] + [
        keras.layers.Dense(UNITS, activation="sigmoid", kernel_initializer=kernel_initializer)
        for _ in range(DEPTH)])
    assert model.built and len(model.weights) == 2 * DEPTH  # weights created
    return model.weights


def seconds(build):
    start = time.perf_counter()
    variables = build()
    for variable in variables:  # make sure every initial value is really computed
        tf.convert_to_tensor(variable)[0, ...].numpy()
    return time.perf_counter() - start


def median_seconds(ours, theirs, repeats):
    """Medians of ``repeats`` timings of each, interleaved so that load from other
    processes hits both sides alike."""
    ours(), theirs()  # warm up (first-call tracing, kernels)
    times = [(seconds(ours), seconds(theirs)) for _ in range(repeats)]
    return tuple(statistics.median(column) for column in zip(*times))


ROWS = [
    ("Glorot uniform (both)", lambda: build_neuwidgets(init.XavierUniform(gain=2)), lambda: build_keras()),
    ("LeCun normal (both)", lambda: build_neuwidgets(init.HeNormal()),
     lambda: build_keras(keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal"))),
    ("defaults (HeNormal vs Glorot uniform)", lambda: build_neuwidgets(), lambda: build_keras()),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"build Input({UNITS}) + {DEPTH} x Sigmoid({UNITS}); median of {args.repeats} repeats")
    print(f"{'weights':<40} {'neuwidgets s':>12} {'keras s':>9} {'ratio':>6}  (goal <= 1.0 for the same distribution)")
    for label, ours, theirs in ROWS:
        a, b = median_seconds(ours, theirs, args.repeats)
        print(f"{label:<40} {a:12.4f} {b:9.4f} {a / b:6.3f}")


if __name__ == "__main__":
    main()
