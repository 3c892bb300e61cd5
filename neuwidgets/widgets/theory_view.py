"""The builder's view of the theory (issue "the theory of signal propagation"): which
inputs the statistics use (seeded Gaussian or the digits), the phase diagram and the
Jacobian spectrum panels beside the depth chart, and LSUV as one undoable edit.

A mixin of :class:`~neuwidgets.widgets.NetworkBuilder`: the science lives in
:mod:`neuwidgets.theory`, :mod:`neuwidgets.stats` and :mod:`neuwidgets.plotting`.
"""
import math

import numpy as np
import traitlets

from .. import init
from ..errors import InvalidValueError, shown

#: Where the inputs of the statistics, the Jacobian and LSUV come from.
INPUTS = ("gaussian", "digits")
#: Samples of the batch LSUV scales the weights on (Mishkin & Matas 2016 use one batch).
LSUV_SAMPLES = 256


class TheoryView(traitlets.HasTraits):
    """Inputs, theory panels and LSUV for the builder (see the module docstring)."""

    #: PNG of the mean-field phase diagram with the network's layers marked (``b""`` when hidden).
    phase_diagram = traitlets.Bytes(b"").tag(sync=True)
    #: PNG of the histogram of the input–output Jacobian's singular values (``b""`` when hidden).
    spectrum = traitlets.Bytes(b"").tag(sync=True)

    def _init_theory(self):
        self._inputs = "gaussian"
        self._theory_shown = False
        self._lsuv_log = []

    # -- inputs --------------------------------------------------------------------------
    @property
    def inputs(self):
        """``"gaussian"`` (seeded N(0, 1), the default) or ``"digits"``
        (:func:`neuwidgets.datasets.digits`, when the network takes 64 values)."""
        return self._inputs

    def set_inputs(self, source):
        """Feed the statistics, the Jacobian and LSUV with ``source`` (one of
        :data:`INPUTS`). ``"digits"`` needs an input of 64 values (``Input(64)``,
        ``Input((8, 8, 1))``). A view setting: not saved, not undone."""
        if source not in INPUTS:
            raise InvalidValueError(f"set_inputs: source must be one of {', '.join(map(repr, INPUTS))}, "
                                    f"got {shown(source)}")
        if source == "digits" and not self._digits_fit():
            raise InvalidValueError(f"set_inputs: the digits have 64 values a sample; this network takes "
                                    f"{self.network.input_shape[1:]} ({self._input_size():,} values)")
        self._inputs = source
        self._profile_cache = (None, None)
        self._publish()
        if self.plots:
            self._draw()

    def _input_size(self):
        return math.prod(self.network.input_shape[1:])

    def _digits_fit(self):
        return self._input_size() == 64

    def _input_batch(self, samples):
        """``samples`` inputs of the network's shape from the chosen source (None: the
        seeded Gaussian the statistics draw themselves)."""
        if self._inputs != "digits" or not self._digits_fit():
            return None
        from .. import datasets
        x, _ = datasets.digits()
        return x[:samples].reshape((-1, *self.network.input_shape[1:]))

    # -- theory panels -------------------------------------------------------------------
    def show_theory(self, show=True):
        """Draw the phase diagram and the Jacobian spectrum after every edit (off by
        default: they cost a little time per edit). A view setting."""
        if not isinstance(show, bool):
            raise InvalidValueError(f"show_theory: show must be true or false, got {shown(show)}")
        self._theory_shown = show
        self._publish()
        if not show:
            self.phase_diagram, self.spectrum = b"", b""
        elif self.plots:
            self._draw_theory()

    def _draw_theory(self):
        """The two theory panels of the current network (called by ``_draw``)."""
        if not self._theory_shown:
            return
        from .. import plotting
        self.busy, self.progress = "drawing the phase diagram and the Jacobian spectrum", 0.95
        network = self.network
        diagram = plotting.plot_phase_diagram(network, ncols=1)  # one panel per activation, stacked
        width, height = diagram.get_size_inches()
        diagram.set_size_inches(4.6, height * 3.4 / 4.0)  # 3.4 inches a panel, with the notes under them
        self.phase_diagram = plotting.figure_to_png(diagram, dpi=100)
        spectrum = plotting.plot_jacobian_spectrum(network, x=self._input_batch(4), n_samples=4)
        spectrum.set_size_inches(4.6, 3.4)
        self.spectrum = plotting.figure_to_png(spectrum, dpi=100)

    # -- LSUV ------------------------------------------------------------------------------
    @property
    def lsuv_log(self):
        """What the last :meth:`lsuv` did, one record per layer with a kernel
        (:class:`neuwidgets.theory.LSUVRecord`)."""
        return list(self._lsuv_log)

    def lsuv(self, tol=0.1, max_iter=10):
        """Layer-sequential unit-variance initialization (Mishkin & Matas 2016) on a batch of
        :data:`LSUV_SAMPLES` of the chosen inputs, as ONE undoable edit: every kernel
        becomes ``Orthogonal(scale=s, seed=k)``: the orthonormal start LSUV rescaled, with its
        scale ``s`` to 6 significant digits (what the initializer's field shows; the
        variance it gives is off by at most 2e-6 relative), so the design stays small.

        Runs on a copy: the current network is left as it is until the edit is made.
        Returns the log (:attr:`lsuv_log`); a layer that did not converge says so there
        (and :func:`neuwidgets.theory.lsuv` warns). Raises what it raises (no weights, a
        batch of one sample, bad ``tol``)."""
        import warnings
        from .. import theory
        from ..spec import edits
        network = self.spec.build_report(max_parameters=self.max_parameters).network
        x = self._input_batch(LSUV_SAMPLES)
        if x is None:
            x = np.random.default_rng(self.spec.data["seed"]).standard_normal(
                (LSUV_SAMPLES, *network.input_shape[1:])).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", theory.LSUVWarning)  # the log says it, on the widget too
            records = theory.lsuv(network, x, tol=tol, max_iter=max_iter, seed=self.spec.data["seed"] % 2 ** 31)
        data = self.spec.to_dict()
        for record in records:
            if record.seed is not None:
                made = init.Orthogonal(scale=float(f"{record.scale:.6g}"), seed=record.seed)
                kernel = next(spec.name for spec in network.layer(record.layer).active_parameters() if spec.kernel)
                edits.set_parameter(data, record.layer, kernel, {"initializer": made.get_config()})
        self._apply(data)
        self._lsuv_log = records
        self._publish()
        return self.lsuv_log

    # -- state and messages -------------------------------------------------------------------
    def _theory_state(self):
        fits = self._digits_fit()
        return {"inputs": {"source": self._inputs if fits else "gaussian",
                           "choices": list(INPUTS) if fits else ["gaussian"]},
                "theory": self._theory_shown,
                "lsuv_log": [{"layer": r.layer, "iterations": r.iterations, "converged": r.converged, "note": r.note,
                              "variance": float(f"{r.variances[-1]:.4g}") if math.isfinite(r.variances[-1]) else None}
                             for r in self._lsuv_log]}

    def _theory_handlers(self):
        def run_lsuv(tol=0.1, max_iter=10):
            self.lsuv(tol=tol, max_iter=max_iter)
        return {"set_inputs": self.set_inputs, "show_theory": self.show_theory, "lsuv": run_lsuv}
