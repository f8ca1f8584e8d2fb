"""The seed tutorial's hand-worked backpropagation example, reproduced with Keras."""

import keras
import numpy as np
import pytest


def build_seed_network() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, activation="sigmoid"),
            keras.layers.Dense(2, activation="sigmoid"),
        ]
    )
    # Keras kernels are (inputs, units): column j holds the weights into unit j.
    model.layers[0].set_weights([np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([0.35, 0.35])])
    model.layers[1].set_weights([np.array([[0.40, 0.50], [0.45, 0.55]]), np.array([0.60, 0.60])])
    return model


def test_forward_pass_and_one_sgd_step_match_the_slides() -> None:
    model = build_seed_network()
    inputs, targets = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])

    hidden = keras.Model(model.inputs, model.layers[0].output)(inputs).numpy()[0]
    outputs = model(inputs).numpy()[0]
    np.testing.assert_allclose(hidden, [0.593269992, 0.596884378], atol=1e-6)
    np.testing.assert_allclose(outputs, [0.75136507, 0.772928465], atol=1e-6)
    e_total = float(np.sum(0.5 * (targets[0] - outputs) ** 2))
    assert e_total == pytest.approx(0.298371109, abs=1e-6)

    # For two outputs, Keras's MSE (mean over 2 outputs of the squared error) equals E_total.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    loss = model.train_on_batch(inputs, targets)
    assert loss == pytest.approx(0.298371109, abs=1e-6)
    w5 = model.layers[1].get_weights()[0][0, 0]
    assert w5 == pytest.approx(0.35891648, abs=1e-6)
