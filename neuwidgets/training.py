"""Train networks side by side and watch their initialization come true.

A distribution at step 0 is a prediction; training shows whether it holds. With
``N(0, 0.01)`` a deep tanh network does not learn at all (its loss stays at chance,
ln 10 = 2.30 for ten classes), with Glorot's scaling it learns in seconds
(REFERENCES §7)::

    from neuwidgets import datasets, training
    x, y = datasets.digits()
    runs = training.compare({"std 0.01": small, "Xavier": xavier}, x, y, steps=300)
    runs["Xavier"]["loss"][-1]          # 0.04

Each network is exported with :meth:`~neuwidgets.network.Network.to_keras` (a copy:
the given network keeps its initial values) and trained with Keras' own ``fit``. One
train step computes the gradients once, applies them, and returns the batch's loss
and accuracy and every layer's weight std and gradient std as one vector, which a
small callback stores per step. Every network sees the same batches in the same
order, so the initialization is the only difference between them.

Without blocking the kernel (a widget's Train and Stop buttons), two ways:

- in chunks: :class:`Comparison` holds the runs; ``comparison.run(max_steps=10)`` trains
  ten more steps and returns (each call costs ``fit`` about 20 ms to set up), so an
  asyncio task can update the plots and let the kernel handle messages between chunks::

      comparison = training.Comparison(networks, x, y, steps=300)
      while not comparison.run(max_steps=10):   # True once every run is finished
          show(comparison.results)
          await asyncio.sleep(0)                  # the kernel handles the Stop button here

- in a thread: ``compare(..., progress=..., stop=stop_requested.is_set)`` (a
  ``threading.Event``) calls ``progress(label, step, steps)`` after every step and
  checks ``stop()`` after every step: it returns the results so far once ``stop()``
  returns True.
"""
import contextlib
import math
import numbers
import warnings

import numpy as np

from ._tensorflow import tf  # before keras, which would import TensorFlow loudly
import keras  # noqa: E402  (isort: skip)

from .errors import InvalidTypeError, InvalidValueError, ShapeError
from .layers import Softmax
from .shapes import format_shape
from .network import Network
from .spec import NetworkSpec
from .spec.code import UntrustedPlaceholder

__all__ = ["compare", "Comparison", "LOSSES", "OPTIMIZERS"]

#: Losses by Keras name: sparse categorical cross-entropy (integer class labels, with
#: an accuracy) and mean squared error (targets shaped like the output, no accuracy).
LOSSES = ("sparse_categorical_crossentropy", "mean_squared_error")
#: Keras optimizers by name; ``learning_rate`` sets their step size.
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam")
#: Input values (float32, 64 MiB) one ``fit`` call gets at most: a longer run is fed
#: in several calls, so memory stays bounded whatever ``steps × batch_size``.
_CHUNK_VALUES = 2 ** 24


def compare(networks, x, y, steps=300, batch_size=64, optimizer="sgd", learning_rate=0.1, loss=None, seed=0,
            strategy=None, progress=None, stop=None):
    """Train every network of ``networks`` (``{label: network}``) on ``(x, y)``, one
    after another, from the same initial values, and return what each did per step::

        {label: {"loss": [...], "accuracy": [...], "weight_std": {layer name: [...]},
                 "grad_std": {layer name: [...]}, "stopped": None}}

    Entry ``k`` of every list describes training step ``k`` (0-based) on the weights the
    step started from: the batch's mean loss and accuracy (fraction of samples whose
    largest output is the label; None for mean squared error), the std of each layer's
    weight (entry 0: the initial std) and of the gradient dL/dweight of the batch loss.
    Layers without a weight (Dropout) have no entry; a weight shared by several layers
    is listed under the layer owning it. ``"stopped"`` is None, or the message of a run
    that diverged: the first step whose loss, a layer's weight, output or gradient is
    NaN or infinite stops that run with a ``RuntimeWarning`` naming the step and the layer;
    its lists end before that step.

    - ``networks``: a :class:`~neuwidgets.network.Network`, a
      :class:`~neuwidgets.spec.NetworkSpec` (built here) or anything with a ``.network``
      that is a Network (the builder widget), by label (str). None is changed.
    - ``x``: float inputs ``(samples, *input shape)``, finite; ``y``: integer class labels
      ``(samples,)`` in 0 .. output units − 1 for cross-entropy, or targets ``(samples,
      *output shape)`` for mean squared error.
    - ``steps``: updates per network; ``batch_size``: samples per step. Batch ``k`` is
      the rows ``k·batch_size ...`` of the samples shuffled anew every pass (epoch), the
      same for every label; ``seed`` fixes that order.
    - ``optimizer``: one of :data:`OPTIMIZERS` with ``learning_rate``.
    - ``loss``: one of :data:`LOSSES`; None picks sparse categorical cross-entropy for a
      network ending in a :class:`~neuwidgets.layers.Softmax` layer, mean squared error
      otherwise.
    - ``strategy``: a ``tf.distribute.Strategy``; the models are made and trained in its
      scope (each batch split between its replicas; the gradients are summed across
      replicas once more to record the whole batch's gradient std).
    - ``progress(label, step, steps)`` is called after each step; ``stop()`` after each
      step too: when it returns True, training stops there and the results so far are
      returned. For a caller that must not block, see :class:`Comparison`.

    Raises :class:`~neuwidgets.errors.InvalidTypeError`,
    :class:`~neuwidgets.errors.InvalidValueError` or
    :class:`~neuwidgets.errors.ShapeError` (naming the network and the value) for
    networks of another type, a network with untrusted custom initializer code (it is
    not run) or a broken link, ``x`` of another shape or with NaN or infinite values,
    ``y`` of another length, labels that do not fit the output layer's units, steps,
    batch size or learning rate that are not positive, an unknown optimizer or loss.
    """
    comparison = Comparison(networks, x, y, steps=steps, batch_size=batch_size, optimizer=optimizer,
                            learning_rate=learning_rate, loss=loss, seed=seed, strategy=strategy)
    comparison.run(progress=progress, stop=stop)
    return comparison.results


class Comparison:
    """The runs of :func:`compare` (same arguments, same validation and errors), to be
    trained in chunks: :meth:`run` trains some steps and returns, :attr:`results` holds
    the curves so far. Making one exports and compiles every network; nothing is
    trained until :meth:`run`."""

    def __init__(self, networks, x, y, steps=300, batch_size=64, optimizer="sgd", learning_rate=0.1, loss=None,
                 seed=0, strategy=None):
        self.steps = _positive_int("steps", steps)
        self.batch_size = _positive_int("batch_size", batch_size)
        if optimizer not in OPTIMIZERS:
            raise InvalidValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}"[:200])
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) \
                or not 0 < learning_rate < math.inf:
            raise InvalidValueError(f"learning_rate must be a positive number, got {learning_rate!r}"[:200])
        if loss is not None and loss not in LOSSES:
            raise InvalidValueError(f"loss must be None (inferred from the output layer) or one of "
                                    f"{', '.join(LOSSES)}, got {loss!r}"[:200])
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise InvalidValueError(f"seed must be a non-negative integer, got {seed!r}"[:200])
        if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
            raise InvalidTypeError(f"strategy must be None or a tf.distribute.Strategy, got "
                                   f"{type(strategy).__name__}")
        if not isinstance(networks, dict) or not networks:
            raise InvalidTypeError("networks must be a non-empty dict {label: network}, got "
                                   f"{type(networks).__name__} {networks!r}"[:200])
        self.x = _inputs(x)
        if self.batch_size > len(self.x):
            raise InvalidValueError(f"batch_size is {self.batch_size}, more than the {len(self.x)} samples in x")
        self.seed = int(seed)
        self._runs = {}
        for label, item in networks.items():
            if not isinstance(label, str):
                raise InvalidTypeError(f"network labels must be strings, got {type(label).__name__} {label!r}"[:200])
            network = _network(label, item)
            if tuple(network.input_shape[1:]) != self.x.shape[1:]:
                raise ShapeError(f"network {label!r} expects inputs of shape {format_shape(network.input_shape)}, "
                                 f"x has shape {format_shape(self.x.shape)}")
            run_loss = loss or ("sparse_categorical_crossentropy" if isinstance(network.layers[-1], Softmax)
                                else "mean_squared_error")
            targets = _targets(y, len(self.x), network, label, run_loss)
            self._runs[label] = _Run(network, targets, run_loss, optimizer, float(learning_rate), strategy)

    @property
    def results(self):
        """``{label: {"loss", "accuracy", "weight_std", "grad_std", "stopped"}}`` as
        :func:`compare` returns them, for the steps done so far. The lists grow when
        :meth:`run` returns (not during a call): copy them to keep a snapshot."""
        return {label: run.result for label, run in self._runs.items()}

    @property
    def models(self):
        """``{label: keras.Model}``: the exported copies being trained (their weights are
        those after the steps done so far), e.g. to evaluate them on held-out data."""
        return {label: run.model.exported for label, run in self._runs.items()}

    @property
    def done(self):
        """True when every run did all its steps or diverged."""
        return all(run.finished(self.steps) for run in self._runs.values())

    def run(self, max_steps=None, progress=None, stop=None):
        """Train the runs in order (the first unfinished one first) for at most
        ``max_steps`` steps in all (None: until every run is finished); ``progress`` and
        ``stop`` as in :func:`compare`. Returns :attr:`done`.

        Raises :class:`~neuwidgets.errors.InvalidValueError` unless ``max_steps`` is
        None or a positive integer.
        """
        budget = math.inf if max_steps is None else _positive_int("max_steps", max_steps)
        row_size = max(1, int(np.prod(self.x.shape[1:])))
        for label, run in self._runs.items():
            while budget > 0 and not run.finished(self.steps):
                count = int(min(budget, self.steps - run.done,
                                max(1, _CHUNK_VALUES // (row_size * self.batch_size))))
                rows = _batch_rows(len(self.x), self.seed, run.done * self.batch_size,
                                   (run.done + count) * self.batch_size)
                requested = run.fit(self.x[rows], run.targets[rows], self.batch_size,
                                    _Recorder(run, label, self.steps, progress, stop))
                budget -= count
                if run.result["stopped"]:
                    warnings.warn(f"training {label!r}: {run.result['stopped']}", RuntimeWarning, stacklevel=2)
                if requested:
                    return self.done
        return self.done


class _Tracked(keras.Model):
    """The exported model with bookkeeping in its train step: the gradients are computed
    once and applied, and the step returns ``{"record": vector}``, one float32 vector of
    ``[loss, accuracy, weight std × K, gradient std × K, output probe × L]`` for the K
    layers owning a weight and the L layers after the input; a probe is 0, or NaN when
    the layer's output holds NaN or infinity (see :class:`_Run`)."""

    def __init__(self, model, accuracy):
        super().__init__(name="neuwidgets_training")
        self.exported = model
        layers = model.layers[1:]
        self.outputs_model = keras.Model(model.inputs, [layer.output for layer in layers])
        owners = {}
        for layer in layers:
            kernel = getattr(layer, "kernel", None)
            if kernel is not None and not any(kernel is known for known in owners.values()):
                owners[layer.name] = kernel
        self.weight_names, self.kernels = list(owners), list(owners.values())
        self.output_names = [layer.name for layer in layers]
        self.with_accuracy = accuracy

    def layer_outputs(self, x, training=False):
        """Every layer's output, in order (a list also for a single layer)."""
        return keras.tree.flatten(self.outputs_model(x, training=training))

    def call(self, x, training=False):
        return self.layer_outputs(x, training=training)[-1]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            outputs = self.layer_outputs(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=outputs[-1], training=True)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            # Each replica holds its share of the batch's gradient; the optimizer sums
            # them. Sum them here to measure the whole batch's gradient, and hand the
            # optimizer 1/replicas of it, which it sums back to the same gradient.
            gradients = tf.distribute.get_replica_context().all_reduce("sum", gradients)
        by_variable = {id(variable): gradient for variable, gradient in zip(variables, gradients)}
        weight_std = [tf.math.reduce_std(kernel) for kernel in self.kernels]  # before the update
        grad_std = [tf.math.reduce_std(by_variable[id(kernel)]) for kernel in self.kernels]
        # 0 when every value of the output is finite, NaN otherwise (NaN · 0 and ±inf · 0 are NaN)
        probes = [tf.reduce_sum(output * 0.0) for output in outputs]
        accuracy = tf.constant(0.0)
        if self.with_accuracy:
            predicted = tf.argmax(outputs[-1], axis=-1, output_type=tf.int64)
            accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, tf.cast(tf.reshape(y, [-1]), tf.int64)),
                                              tf.float32))
        self.optimizer.apply([gradient / replicas for gradient in gradients] if replicas > 1 else gradients,
                             variables)
        # Keras scales each replica's mean loss by 1 / replicas; fit averages the replicas' records.
        return {"record": tf.stack([loss * replicas, accuracy, *weight_std, *grad_std, *probes])}


class _Run:
    """One network's training: its Keras model, targets and the curves so far."""

    def __init__(self, network, targets, loss, optimizer, learning_rate, strategy):
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            self.model = _Tracked(network.to_keras(), accuracy=loss == "sparse_categorical_crossentropy")
            self.model.compile(optimizer=keras.optimizers.get({"class_name": optimizer,
                                                              "config": {"learning_rate": learning_rate}}),
                               loss=loss)
        self.targets = targets
        names = self.model.weight_names
        self.result = {"loss": [], "accuracy": [] if self.model.with_accuracy else None,
                       "weight_std": {name: [] for name in names}, "grad_std": {name: [] for name in names},
                       "stopped": None}

    @property
    def done(self):
        return len(self.result["loss"])

    def finished(self, steps):
        return self.done >= steps or self.result["stopped"] is not None

    def fit(self, x, y, batch_size, recorder):
        """Train on ``x`` in order, one step per ``batch_size`` rows (the recorder stops
        a run that diverges); True when ``stop`` asked to stop."""
        # A dataset (in this order) costs fit less to set up than arrays: ~20 ms a call, not ~70.
        batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
        try:
            self.model.fit(batches, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
        finally:
            self.store(recorder.records)
        return recorder.requested

    def store(self, records):
        """Append finite step records (vectors of :class:`_Tracked`) to the curves."""
        if not records:
            return
        columns = np.stack(records).T.tolist()
        count = len(self.model.weight_names)
        self.result["loss"] += columns[0]
        if self.result["accuracy"] is not None:
            self.result["accuracy"] += columns[1]
        for index, name in enumerate(self.model.weight_names):
            self.result["weight_std"][name] += columns[2 + index]
            self.result["grad_std"][name] += columns[2 + count + index]

    def divergence(self, record, step):
        """The message for a record holding NaN or infinity at ``step``: what became
        non-finite first (a weight, in layer order; else an output, in layer order; else
        the loss; else a gradient, in backward order)."""
        names, count = self.model.weight_names, len(self.model.weight_names)
        finite = np.isfinite(record)
        weights, gradients = finite[2:2 + count], finite[2 + count:2 + 2 * count]
        places = ([f"the weight of layer {name!r}" for name, ok in zip(names, weights) if not ok]
                  + [f"the output of layer {name!r}" for name, ok
                     in zip(self.model.output_names, finite[2 + 2 * count:]) if not ok]
                  + ([] if finite[0] else ["the loss"])
                  + [f"the gradient of layer {name!r}" for name, ok in zip(names[::-1], gradients[::-1]) if not ok])
        return (f"diverged at step {step}: {places[0]} was the first to become NaN or infinite; training "
                f"stopped, " + (f"the curves end at step {step - 1}" if step else "no step was recorded"))


class _Recorder(keras.callbacks.Callback):
    """Collects each step's record for its :class:`_Run`, reports progress, stops when
    ``stop()`` says so (``requested``) or at the first record holding NaN or infinity
    (the run's ``"stopped"`` message)."""

    def __init__(self, run, label, steps, progress, stop):
        super().__init__()
        self.run, self.label, self.steps, self.progress, self.stop = run, label, steps, progress, stop
        self.records, self.requested = [], False

    def on_train_batch_end(self, batch, logs=None):
        record = np.asarray(logs["record"])
        step = self.run.done + len(self.records)
        if not np.isfinite(record).all():
            self.run.result["stopped"] = self.run.divergence(record, step)
            self.model.stop_training = True
            return
        self.records.append(record)
        if self.progress is not None:
            self.progress(self.label, step + 1, self.steps)
        if self.stop is not None and self.stop():
            self.model.stop_training = self.requested = True


def _batch_rows(samples, seed, start, end):
    """Sample indices of rows ``start .. end − 1`` of the endless stream made of one
    permutation of ``range(samples)`` per epoch (NumPy's ``default_rng([seed, epoch])``)."""
    parts = []
    for epoch in range(start // samples, (end - 1) // samples + 1):
        order = np.random.default_rng([seed, epoch]).permutation(samples)
        low, high = max(start - epoch * samples, 0), min(end - epoch * samples, samples)
        parts.append(order[low:high])
    return np.concatenate(parts)


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}"[:200])
    return int(value)


def _network(label, item):
    """The Network of a Network, NetworkSpec or builder; refuses untrusted code and broken links."""
    if isinstance(item, NetworkSpec):
        result = item.build_report()
        broken = [problem for problem in result.errors if problem["kind"] == "link"]
        if broken:
            raise InvalidValueError(f"network {label!r}: {item.describe(broken[0])}")
        network = result.network
    else:
        network = item if isinstance(item, Network) else getattr(item, "network", None)
    if not isinstance(network, Network):
        raise InvalidTypeError(f"network {label!r} must be a Network, a NetworkSpec or a builder with a .network, "
                               f"got {type(item).__name__}")
    untrusted = sorted({value.name for layer in network.layers for value in layer.parameters.values()
                        if isinstance(value, UntrustedPlaceholder)})
    if untrusted:
        raise InvalidValueError(f"network {label!r} holds untrusted custom initializer code "
                                f"({', '.join(untrusted)}), which has not run (its parameters are placeholder "
                                "zeros): read the code, then trust the design (NetworkSpec(..., trust=True), "
                                "builder.trust()) to train it")
    return network


def _inputs(x):
    try:
        x = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"x must be an array of numbers, got {type(x).__name__}") from None
    if x.ndim < 2 or not len(x):
        raise ShapeError(f"x must have shape (samples, *input shape) with at least one sample, got "
                         f"{format_shape(x.shape)}")
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InvalidValueError(f"x holds {int(bad.sum())} NaN or infinite values (the first in sample {row}); "
                                "expected finite numbers")
    return x


def _targets(y, samples, network, label, loss):
    """``y`` checked against ``network``'s output for ``loss``: int64 labels or float32 targets."""
    try:
        y = np.asarray(y)
        numeric = np.issubdtype(y.dtype, np.number)
    except (TypeError, ValueError):
        numeric = False
    if not numeric:
        raise InvalidTypeError(f"y must be an array of numbers, got {type(y).__name__}")
    if y.ndim == 0 or len(y) != samples:
        raise ShapeError(f"y has shape {format_shape(y.shape)}, x has {samples} samples; expected one target "
                         "per sample")
    output = network.layers[-1]
    if loss == "mean_squared_error":
        if tuple(y.shape[1:]) != tuple(network.output_shape[1:]):
            raise ShapeError(f"y has shape {format_shape(y.shape)}; for mean squared error network {label!r} "
                             f"needs targets of its output shape {format_shape(network.output_shape)}")
        y = y.astype(np.float32)
        if not np.isfinite(y).all():
            raise InvalidValueError("y holds NaN or infinite values; expected finite targets")
        return y
    units = network.output_shape[-1]
    if y.ndim != 1 or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise InvalidValueError(f"y must hold one integer class label per sample for {loss}, got shape "
                                f"{format_shape(y.shape)} of {y.dtype}")
    if y.min() < 0 or y.max() >= units:
        raise InvalidValueError(f"y holds labels {int(y.min())} .. {int(y.max())}, but {output} of network "
                                f"{label!r} has {units} units: labels must be 0 .. {units - 1}")
    return y.astype(np.int64)
