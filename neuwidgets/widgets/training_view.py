"""The builder's Train panel (issue "a short training run per initialization"): train the
current design, and the designs of pins, side by side for a few hundred steps, in a
background thread, with progress and a Stop between steps.

A mixin of :class:`~neuwidgets.widgets.NetworkBuilder`; the training itself is
:mod:`neuwidgets.training` (Keras ``fit`` on copies: a run never changes the design or
its initial values).
"""
import threading

import numpy as np
import traitlets

from ..errors import InvalidTypeError, InvalidValueError, shown

#: Progress updates sent to the front end at most this often (seconds).
PROGRESS_EVERY = 0.2


class TrainingView(traitlets.HasTraits):
    """Training runs for the builder (see the module docstring)."""

    #: ``{"running", "label", "step", "steps", "labels", "message"}``: the run in progress or the last one.
    training = traitlets.Dict().tag(sync=True)
    #: PNG of the last run's curves (:func:`neuwidgets.plotting.plot_training`; ``b""`` before one).
    training_chart = traitlets.Bytes(b"").tag(sync=True)

    def _init_training(self):
        self._pin_designs = {}  # pin label -> the design it was taken from (this session only)
        self._training_thread = None
        self._training_stop = threading.Event()
        self._training_runs = {}
        self.training = {"running": False, "label": None, "step": 0, "steps": 0, "labels": [], "message": ""}

    @property
    def training_runs(self):
        """The curves of the last (or current) run: ``{label: {"loss", "accuracy",
        "weight_std", "grad_std", "stopped"}}`` (:func:`neuwidgets.training.compare`)."""
        return dict(self._training_runs)

    def train(self, steps=300, compare=(), x=None, y=None, batch_size=64, optimizer="sgd", learning_rate=0.1,
              wait=False):
        """Train the current design (labelled ``"current"``) and the designs of the pins in
        ``compare`` (their labels) side by side, in a background thread: the kernel stays
        free and the widget shows progress. ``x``, ``y``: the data (default the digits,
        :func:`neuwidgets.datasets.digits`, for a network that takes 64 values and has
        10 outputs); the same batches for every label. ``wait``: return when done.

        Raises, before anything starts, what :class:`neuwidgets.training.Comparison`
        raises (labels that don't fit, bad steps, an unknown optimizer, untrusted code)
        and :class:`InvalidValueError` for a pin without a design in this session, or
        while a run is going on."""
        from .. import training
        from ..spec import NetworkSpec
        if self._training_thread is not None and self._training_thread.is_alive():
            raise InvalidValueError("train: a run is going on; stop it first (stop_training)")
        if isinstance(compare, str) or not isinstance(compare, (list, tuple)):
            raise InvalidTypeError(f"train: compare must be a list of pin labels, got {shown(compare)}")
        networks = {"current": self.network}
        for label in compare:
            if label not in self._pin_designs:
                known = ", ".join(repr(label) for label in self._pin_designs) or "none"
                raise InvalidValueError(f"train: pin {shown(label)} has no design in this session (pins from a "
                                        f"saved file keep only their profile); expected one of {known}")
            networks[label] = NetworkSpec(self._pin_designs[label], trust=self.spec.trusted,
                                          classes=self._all_classes())
        if x is None and y is None:
            x, y = self._digits_for_training()
        comparison = training.Comparison(networks, x, y, steps=steps, batch_size=batch_size, optimizer=optimizer,
                                         learning_rate=learning_rate, seed=self.spec.data["seed"] % 2 ** 31)
        self._training_stop.clear()
        self._training_runs = comparison.results
        self.training = {"running": True, "label": None, "step": 0, "steps": comparison.steps,
                         "labels": list(networks), "message": "starting"}
        self._training_thread = threading.Thread(target=self._train_in_background, args=(comparison,),
                                                 name="neuwidgets-training", daemon=True)
        self._training_thread.start()
        if wait:
            self._training_thread.join()

    def stop_training(self):
        """Stop the run between two steps; what was trained is kept (the curves so far)."""
        self._training_stop.set()

    def _digits_for_training(self):
        from .. import datasets
        network = self.network
        if np.prod(network.input_shape[1:]) != 64 or network.output_shape[1:] != (10,):
            raise InvalidValueError(f"train: the digits have 64 inputs and 10 classes; this network takes "
                                    f"{network.input_shape[1:]} and gives {network.output_shape[1:]}: to train on them, set the "
                                    f"Input's shape to 64 and end with a layer of 10 units (e.g. Softmax); for "
                                    f"other data call train(x=..., y=...) from Python")
        x, y = datasets.digits()
        return x.reshape((-1, *network.input_shape[1:])), y

    def _train_in_background(self, comparison):
        import time
        from .. import plotting
        last = [0.0]

        def progress(label, step, steps):
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or step == steps:
                last[0] = now
                self.training = {**self.training, "label": label, "step": step, "message": f"training {label}"}

        message = "done"
        try:
            comparison.run(progress=progress, stop=self._training_stop.is_set)
            if self._training_stop.is_set() and not comparison.done:
                message = "stopped: the curves show the steps done"
            stopped = [f"{label}: {run['stopped']}" for label, run in comparison.results.items() if run["stopped"]]
            if stopped:
                message = "; ".join(stopped)
            self._training_runs = comparison.results
            self.training_chart = plotting.figure_to_png(plotting.plot_training(self._training_runs), dpi=80)
        except Exception as exc:  # noqa: BLE001  shown on the widget: a thread has no one else to tell
            message = f"training failed: {type(exc).__name__}: {shown(str(exc), 200)}"
        self.training = {**self.training, "running": False, "message": message}

    def _training_handlers(self):
        def train(steps=300, compare=()):
            self.train(steps=steps, compare=list(compare) if isinstance(compare, list) else compare)
        return {"train": train, "stop_training": self.stop_training}
