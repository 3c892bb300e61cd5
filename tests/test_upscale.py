"""Upscale: a layer kind added as one module, its registry line and these tests."""
import numpy as np
import pytest

from neuwidgets import NetworkBuilder
from neuwidgets.errors import NeuwidgetsError, ShapeError
from neuwidgets.layers import Convolution, Input, Reshape, Softmax, Upscale, join
from neuwidgets.spec import NetworkSpec


def test_repeats_each_position_like_neupy_and_keras():
    layer = Upscale(2)
    assert repr(layer) == "Upscale((2, 2), name='upscale-1')" and layer.scale == (2, 2)
    network = Input((2, 3, 1)) >> layer
    assert network.output_shape == (None, 4, 6, 1)
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    expected = x.repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_array_equal(network.predict(x), expected)
    np.testing.assert_array_equal(network.to_keras().predict(x, verbose=0), expected)
    assert (Input((5, 5, 2)) >> Upscale((3, 1))).output_shape == (None, 15, 5, 2)


def test_designs_code_and_the_builder_know_it_without_any_other_change():
    network = join(Input((4, 4, 1), name="in"), Convolution((3, 3, 2), padding="same", name="c"),
                   Upscale(2, name="up"), Reshape(name="flat"), Softmax(3, name="out"))
    spec = NetworkSpec.from_network(network)
    assert spec.entry("up") == {"kind": "Upscale", "name": "up", "scale": [2, 2]}
    assert NetworkSpec.from_json(spec.to_json()) == spec
    namespace = {}
    exec(spec.to_code(), namespace)
    assert namespace["network"].layer("up").scale == (2, 2)
    exec(spec.to_code("keras"), namespace)
    assert namespace["model"].get_layer("up").size == (2, 2)
    builder = NetworkBuilder(spec, plots=False)
    kinds = {kind["kind"]: kind for kind in builder.state["kinds"]}
    assert [field["name"] for field in kinds["Upscale"]["fields"]] == ["scale"]
    builder.set_field("up", "scale", "1, 2")
    assert builder.network.layer("up").output_shape == (None, 4, 8, 2)


@pytest.mark.parametrize("scale, given", [(0, "0"), ((2, -1), "(2, -1)"), (1.5, "1.5")])
def test_bad_scales_and_inputs_get_a_clear_error(scale, given):
    with pytest.raises(NeuwidgetsError) as caught:
        Upscale(scale)
    assert str(caught.value) == ("Upscale layer 'upscale-1': scale must be 2 positive integers up to 1,000,000,000, "
                                 f"or one number for all, got {given}")
    with pytest.raises(ShapeError, match=r"to Upscale layer 'upscale-1': expects input of shape \(\?, height, width, "
                                         r"channels\), got \(\?, 10\)"):
        Input(10) >> Upscale(2)
