"""Initializers: measured statistics, fans, seeds, reprs, configs and parameter checks
(REFERENCES.md §1 and §2)."""
import math
import random

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

import neuwidgets
from neuwidgets import init

# (500, 400): 200,000 samples, fan_in 500, fan_out 400.
BIG = (500, 400)


def sample(initializer, shape):
    values = initializer.sample(shape)
    assert isinstance(values, tf.Tensor) and values.dtype == tf.float32
    assert tuple(values.shape) == tuple(shape)
    return values.numpy().astype(np.float64)


STD_CASES = [
    (init.Normal(mean=0, std=0.01, seed=1), 0.01, 0.0),
    (init.Normal(mean=3, std=2, seed=2), 2.0, 3.0),
    (init.Uniform(0, 1, seed=3), 1 / math.sqrt(12), 0.5),
    (init.Uniform(-2, 4, seed=4), 6 / math.sqrt(12), 1.0),
    (init.TruncatedNormal(mean=1, std=0.05, seed=5), 0.05 * 0.87962566103423978, 1.0),
    (init.Orthogonal(seed=6), 1 / math.sqrt(500), 0.0),
    (init.Orthogonal(scale=2.0, seed=6), 2 / math.sqrt(500), 0.0),
    (init.HeNormal(seed=7), math.sqrt(1 / 500), 0.0),
    (init.HeNormal(gain=2, seed=8), math.sqrt(2 / 500), 0.0),
    (init.HeUniform(seed=9), math.sqrt(1 / 500), 0.0),
    (init.HeUniform(gain=2, seed=10), math.sqrt(2 / 500), 0.0),
    (init.XavierNormal(seed=11), math.sqrt(1 / 900), 0.0),
    (init.XavierNormal(gain=2, seed=12), math.sqrt(2 / 900), 0.0),
    (init.XavierUniform(seed=13), math.sqrt(1 / 900), 0.0),
    (init.XavierUniform(gain=2, seed=14), math.sqrt(2 / 900), 0.0),
] + [
    (init.VarianceScaling(scale, mode, distribution, seed=20 + i),
     math.sqrt(scale / {"fan_in": 500, "fan_out": 400, "fan_avg": 450}[mode]), 0.0)
    for i, (scale, mode, distribution) in enumerate(
        (scale, mode, distribution)
        for scale in (1.0, 2.0)
        for mode in init.VarianceScaling.MODES
        for distribution in init.VarianceScaling.DISTRIBUTIONS)
]


@pytest.mark.parametrize("initializer, std, mean", STD_CASES, ids=lambda v: repr(v) if isinstance(v, init.Initializer) else "")
def test_measured_std_and_mean_match_expected_std(initializer, std, mean):
    assert initializer.expected_std(BIG) == pytest.approx(std, rel=1e-9)
    values = sample(initializer, BIG)
    assert values.size >= 200_000
    assert values.std() == pytest.approx(std, rel=0.02)
    assert abs(values.mean() - mean) < 0.01 * std + 1e-4 * abs(mean) + 3 * std / math.sqrt(values.size)


def test_constant():
    values = sample(init.Constant(3), (4, 5))
    np.testing.assert_array_equal(values, np.full((4, 5), 3.0))
    assert init.Constant(3).expected_std((4, 5)) == 0.0
    assert sample(init.Constant(), (2,)).tolist() == [0.0, 0.0]
    assert sample(init.Constant(-0.5), (3, 3, 2)).max() == -0.5


def test_uniform_bounds():
    values = sample(init.Uniform(-2, 4, seed=1), BIG)
    assert values.min() >= -2 and values.max() < 4
    assert values.min() < -1.99 and values.max() > 3.99


@pytest.mark.parametrize("cls, gain, fan", [
    (init.HeUniform, 1.0, 500), (init.HeUniform, 2, 500),
    (init.XavierUniform, 1.0, 900), (init.XavierUniform, 2, 900)])
def test_fan_scaled_uniform_limits(cls, gain, fan):
    limit = math.sqrt(3 * gain / fan)
    values = sample(cls(gain=gain, seed=1), BIG)
    assert np.abs(values).max() <= limit * (1 + 1e-6)
    assert np.abs(values).max() > 0.99 * limit


def test_glorot_uniform_limit_on_784_by_256():
    values = sample(init.XavierUniform(gain=2, seed=0), (784, 256))
    limit = math.sqrt(6 / 1040)
    assert limit == pytest.approx(0.0760, abs=1e-4)
    assert np.abs(values).max() <= limit * (1 + 1e-6)
    assert np.abs(values).max() > 0.99 * limit
    assert init.VarianceScaling(1.0, "fan_avg", "uniform").expected_std((784, 256)) == pytest.approx(limit / math.sqrt(3))


def test_variance_scaling_truncated_normal_is_corrected():
    values = sample(init.VarianceScaling(1.0, "fan_in", "truncated_normal", seed=3), (1000, 1000))
    assert values.std() == pytest.approx(0.0316, abs=0.0005)  # not 0.0278 (uncorrected)
    assert abs(values.std() - 0.0278) > 0.003
    sigma = math.sqrt(1 / 1000) / 0.87962566103423978
    assert np.abs(values).max() <= 2 * sigma * (1 + 1e-6)


def test_truncated_normal_never_beyond_two_std():
    values = sample(init.TruncatedNormal(mean=1, std=0.5, seed=1), BIG)
    assert np.abs(values - 1).max() <= 2 * 0.5 * (1 + 1e-6)
    assert np.abs(values - 1).max() > 0.99  # the tails do reach close to 2σ


def test_orthogonal_tall_and_wide():
    tall = sample(init.Orthogonal(seed=1), (30, 10))
    np.testing.assert_allclose(tall.T @ tall, np.eye(10), atol=1e-5)
    wide = sample(init.Orthogonal(seed=1), (10, 30))
    np.testing.assert_allclose(wide @ wide.T, np.eye(10), atol=1e-5)
    square = sample(init.Orthogonal(scale=2.0, seed=2), (16, 16))
    np.testing.assert_allclose(square.T @ square, 4 * np.eye(16), atol=1e-4)


def test_orthogonal_kernel_is_flattened_orthonormal():
    kernel = sample(init.Orthogonal(seed=3), (3, 3, 4, 8))
    flat = kernel.reshape(36, 8)
    np.testing.assert_allclose(flat.T @ flat, np.eye(8), atol=1e-5)


def test_orthogonal_rank_one_is_a_clear_error():
    with pytest.raises(neuwidgets.NeuwidgetsError, match=r"rank 2.*\(5,\)") as info:
        init.Orthogonal().sample((5,))
    assert isinstance(info.value, ValueError)


# -- fans ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, expected", [
    ((7,), (7, 1)), (7, (7, 1)), ((10, 30), (10, 30)), ((3, 3, 1, 10), (9, 90)),
    ((5, 5, 10, 6), (250, 150)), ((4, 2, 3), (8, 12))])
def test_fans(shape, expected):
    assert init.fans(shape) == expected


@pytest.mark.parametrize("shape", [(), (0, 3), (3, -1), (2.5, 3), "ab", None, (3, None)])
def test_fans_of_invalid_shape(shape):
    with pytest.raises(neuwidgets.NeuwidgetsError) as info:
        init.fans(shape)
    assert isinstance(info.value, (ValueError, TypeError))
    assert repr(shape) in str(info.value) or str(shape) in str(info.value)


@given(st.lists(st.integers(1, 12), min_size=1, max_size=5))
def test_fans_property(shape):
    fan_in, fan_out = init.fans(tuple(shape))
    if len(shape) == 1:
        assert (fan_in, fan_out) == (shape[0], 1)
    else:
        receptive_field = math.prod(shape[:-2])
        assert (fan_in, fan_out) == (shape[-2] * receptive_field, shape[-1] * receptive_field)
        assert fan_in * fan_out == math.prod(shape) * receptive_field


INITIALIZERS = [init.Constant(1.5), init.Normal(), init.Uniform(), init.TruncatedNormal(),
                init.HeNormal(), init.HeUniform(gain=2), init.XavierNormal(), init.XavierUniform(gain=2),
                init.VarianceScaling(), init.VarianceScaling(2.0, "fan_out", "uniform"),
                init.VarianceScaling(1.0, "fan_avg", "untruncated_normal")]


@given(st.sampled_from(INITIALIZERS), st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_sample_returns_exactly_the_requested_shape_float32(initializer, shape):
    values = initializer.sample(tuple(shape))
    assert values.dtype == tf.float32
    assert tuple(values.shape) == tuple(shape)
    assert np.isfinite(values.numpy()).all()


@given(st.lists(st.integers(1, 9), min_size=2, max_size=4))
def test_orthogonal_sample_shape_property(shape):
    values = init.Orthogonal().sample(tuple(shape))
    assert values.dtype == tf.float32 and tuple(values.shape) == tuple(shape)


# -- seeds and random state ------------------------------------------------------------------

SEEDABLE = [cls for name, cls in init.BUILTINS.items() if name != "Constant"]


@pytest.mark.parametrize("cls", SEEDABLE, ids=lambda cls: cls.__name__)
def test_seeds(cls):
    shape = (3, 3, 20, 30) if cls is init.DeltaOrthogonal else (20, 30)
    first = cls(seed=42).sample(shape).numpy()
    np.testing.assert_array_equal(first, cls(seed=42).sample(shape).numpy())
    np.testing.assert_array_equal(first, cls(seed=42).sample(shape).numpy())
    assert not np.array_equal(first, cls(seed=43).sample(shape).numpy())
    # Without a seed, two samples differ (independent parameters).
    unseeded = cls()
    assert not np.array_equal(unseeded.sample(shape).numpy(), unseeded.sample(shape).numpy())


def test_sampling_leaves_global_random_state_alone():
    np_state = np.random.get_state()
    py_state = random.getstate()
    tf.random.set_seed(1234)
    expected = tf.random.uniform((5,)).numpy()
    tf.random.set_seed(1234)
    for initializer in [cls() for cls in init.BUILTINS.values()] + [init.Normal(seed=1)]:
        initializer.sample((3, 3, 20, 30) if isinstance(initializer, init.DeltaOrthogonal) else (30, 20))
    got = tf.random.uniform((5,)).numpy()
    np.testing.assert_array_equal(expected, got)
    after = np.random.get_state()
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1]) and np_state[2:] == after[2:]
    assert random.getstate() == py_state


# -- reprs and configs ---------------------------------------------------------------------

@pytest.mark.parametrize("initializer, text", [
    (init.Constant(3), "Constant(3)"),
    (init.Normal(), "Normal(mean=0, std=0.01)"),
    (init.Uniform(), "Uniform(0, 1)"),
    (init.Orthogonal(), "Orthogonal(scale=1.0)"),
    (init.HeNormal(gain=2), "HeNormal(gain=2)"),
    (init.HeNormal(), "HeNormal(gain=1.0)"),
    (init.Normal(seed=3), "Normal(mean=0, std=0.01, seed=3)"),
    (init.VarianceScaling(), "VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal')"),
])
def test_reprs(initializer, text):
    assert repr(initializer) == text


CONFIG_CASES = [init.Constant(3), init.Normal(mean=1, std=2, seed=5), init.Uniform(-1, 2, seed=1),
                init.TruncatedNormal(std=0.3), init.Orthogonal(scale=0.5, seed=9), init.HeNormal(gain=2),
                init.HeUniform(seed=4), init.XavierNormal(gain=3), init.XavierUniform(gain=2, seed=8),
                init.VarianceScaling(2.0, "fan_avg", "uniform", seed=7), init.DeltaOrthogonal(gain=2.0, seed=2)]


def test_every_builtin_has_a_config_case():
    assert {type(i).__name__ for i in CONFIG_CASES} == set(init.BUILTINS)


@pytest.mark.parametrize("initializer", CONFIG_CASES, ids=repr)
def test_config_round_trip(initializer):
    config = initializer.get_config()
    assert config["name"] == type(initializer).__name__
    rebuilt = init.from_config(config)
    assert type(rebuilt) is type(initializer)
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(initializer)
    if getattr(initializer, "seed", None) is not None:
        shape = (3, 3, 4, 6) if isinstance(initializer, init.DeltaOrthogonal) else (6, 4)
        np.testing.assert_array_equal(rebuilt.sample(shape).numpy(), initializer.sample(shape).numpy())


def test_config_values():
    assert init.HeNormal(gain=2).get_config() == {"name": "HeNormal", "params": {"gain": 2, "seed": None}}
    assert init.Constant(3).get_config() == {"name": "Constant", "params": {"value": 3}}


def test_custom_initializer_config_round_trip():
    class Gamma(init.Initializer):
        def __init__(self, alpha=0.01):
            self.alpha = alpha

        def sample(self, shape):
            return tf.random.gamma(shape, self.alpha)

    config = Gamma(alpha=0.05).get_config()
    assert config == {"name": "Gamma", "params": {"alpha": 0.05}}
    assert repr(init.from_config(config, custom={"Gamma": Gamma})) == "Gamma(alpha=0.05)"
    with pytest.raises(neuwidgets.NeuwidgetsError, match="Gamma"):
        init.from_config(config)


@pytest.mark.parametrize("config", [
    {"name": "Nope"}, {"name": "Normal", "params": {"sigma": 1}}, "Normal", {"params": {}}])
def test_from_config_errors(config):
    with pytest.raises(neuwidgets.NeuwidgetsError):
        init.from_config(config)


# -- invalid parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("make, kind, words", [
    (lambda: init.Normal(std=-1), ValueError, ["Normal", "std", "-1"]),
    (lambda: init.Normal(std=0), ValueError, ["Normal", "std", "0"]),
    (lambda: init.Uniform(1, 0), ValueError, ["Uniform", "minval", "maxval"]),
    (lambda: init.Uniform(1, 1), ValueError, ["Uniform", "minval", "maxval"]),
    (lambda: init.HeNormal(gain=0), ValueError, ["HeNormal", "gain", "0"]),
    (lambda: init.XavierUniform(gain=-2), ValueError, ["XavierUniform", "gain", "-2"]),
    (lambda: init.TruncatedNormal(std=-0.1), ValueError, ["TruncatedNormal", "std"]),
    (lambda: init.VarianceScaling(mode="fan_sum"), ValueError, ["mode", "fan_sum", "fan_in"]),
    (lambda: init.VarianceScaling(distribution="cauchy"), ValueError, ["distribution", "cauchy", "uniform"]),
    (lambda: init.VarianceScaling(scale=0), ValueError, ["scale"]),
    (lambda: init.Normal(std="big"), TypeError, ["Normal", "std", "'big'", "number"]),
    (lambda: init.Normal(mean=None), TypeError, ["mean", "None"]),
    (lambda: init.Constant("3"), TypeError, ["Constant", "value", "'3'"]),
    (lambda: init.Constant(True), TypeError, ["value", "True"]),
    (lambda: init.Uniform([0], 1), TypeError, ["minval"]),
    (lambda: init.HeNormal(gain=float("nan")), ValueError, ["gain", "nan"]),
    (lambda: init.Orthogonal(scale="1"), TypeError, ["scale"]),
    (lambda: init.Normal(seed=-1), ValueError, ["seed", "-1"]),
    (lambda: init.Normal(seed=1.5), ValueError, ["seed", "1.5"]),
])
def test_invalid_parameters(make, kind, words):
    with pytest.raises(neuwidgets.NeuwidgetsError) as info:
        make()
    assert isinstance(info.value, kind)
    for word in words:
        assert word in str(info.value)


def test_base_initializer_sample_is_abstract():
    with pytest.raises(NotImplementedError, match="sample"):
        init.Initializer().sample((2, 2))


def test_numpy_scalars_become_plain_numbers():
    import json

    normal = init.Normal(mean=np.int64(1), std=np.float32(0.5), seed=np.int64(3))
    config = normal.get_config()
    assert json.loads(json.dumps(config)) == {"name": "Normal", "params": {"mean": 1, "std": 0.5, "seed": 3}}
    assert repr(normal) == "Normal(mean=1, std=0.5, seed=3)"
    assert repr(init.Constant(np.float64(0.25))) == "Constant(0.25)"
    assert type(init.Constant(np.int32(3)).value) is int
