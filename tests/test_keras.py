"""Export to Keras (``network.to_keras()``): same initial weights, same predictions, and
shared parameters stay one variable under ``fit`` (REFERENCES.md §2 and §4)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import neuwidgets
from neuwidgets import init
from neuwidgets.layers import Dropout, Input, Linear, Relu, Sigmoid, Softmax, Tanh


def test_initial_weights_and_predictions_match():
    network = Input(8) >> Relu(16) >> Tanh(12, bias=0.1) >> Dropout(0.3) >> Sigmoid(4, bias=None) >> Softmax(3)
    model = network.to_keras()
    assert isinstance(model, keras.Model)
    for layer in network.layers[1:]:
        if isinstance(layer, Linear):
            keras_layer = model.get_layer(layer.name)
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_layer.kernel),
                                          layer.variable("weight").numpy())
            if "bias" in layer.parameters:
                np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_layer.bias),
                                              layer.variable("bias").numpy())
            else:
                assert keras_layer.bias is None
    assert model.count_params() == network.n_parameters == 8 * 16 + 16 + 16 * 12 + 12 + 12 * 4 + 4 * 3 + 3
    x = np.random.RandomState(0).randn(64, 8).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), network.predict(x), atol=1e-6, rtol=0)
    assert model.input_shape == (None, 8) and model.output_shape == (None, 3)


def test_export_is_a_copy():
    network = Input(3) >> Relu(2, weight=1.0)
    model = network.to_keras()
    network.layers[1].variable("weight").assign(tf.zeros((3, 2)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_layer("relu-1").kernel), np.ones((3, 2)))


def test_shared_parameter_stays_one_variable_under_fit():
    shared = tf.Variable(init.HeNormal(seed=1).sample((6, 6)), name="shared-weight")
    network = Input(6) >> Relu(6, weight=shared) >> Relu(6, weight=shared) >> Linear(1)
    model = network.to_keras()
    assert model.count_params() == network.n_parameters == 36 + 6 + 6 + 6 + 1
    assert len(model.trainable_weights) == 5  # shared kernel, 2 biases, linear kernel and bias
    first, second = model.get_layer("relu-1"), model.get_layer("relu-2")
    assert first.kernel is second.kernel
    before = keras.ops.convert_to_numpy(first.kernel).copy()
    np.testing.assert_array_equal(before, shared.numpy())

    rng = np.random.RandomState(0)
    x = rng.randn(64, 6).astype(np.float32)
    y = rng.randn(64, 1).astype(np.float32)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)

    after_first = keras.ops.convert_to_numpy(first.kernel)
    after_second = keras.ops.convert_to_numpy(second.kernel)
    assert not np.allclose(after_first, before)  # trained
    np.testing.assert_array_equal(after_first, after_second)  # still tied
    assert model.count_params() == network.n_parameters
    np.testing.assert_array_equal(shared.numpy(), before)  # the network itself is untouched


def test_export_errors():
    with pytest.raises(neuwidgets.InvalidValueError, match="to_keras.*Input.*relu-1"):
        (Relu(3) >> Relu(2)).to_keras()
