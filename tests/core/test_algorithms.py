"""Every algorithm's batched meta-gradient against the slow per-task reference (reference.py)."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.algorithms import build_learner
from maml_gui.core.config import TaskConfig, TrainingConfig
from maml_gui.core.models import MLPSpec
from maml_gui.core.tasks import build_family

from . import reference as ref

ATOL = 1e-9  # float64 throughout: the batched and the per-task graphs agree to rounding


pytestmark = pytest.mark.usefixtures("float64")  # tests/core/conftest.py


def make_batch(meta_batch=4, shots=5, queries=6, seed=0, family="sinusoid"):
    task = build_family(TaskConfig(family=family, noise_std=0.1))
    batch = task.sample(meta_batch, shots, queries, torch.Generator().manual_seed(seed), "cpu")
    assert batch.x_support.dtype == torch.float64
    return batch


def make_learner(spec: MLPSpec, seed=0, **training):
    config = TrainingConfig(**training)
    learner = build_learner(spec, config, torch.Generator().manual_seed(seed), "cpu")
    assert all(p.dtype == torch.float64 for p in learner.meta_parameters())
    return learner


def engine_gradient(learner, batch, iteration=0):
    params = [p.detach().clone() for p in learner.meta_parameters()]
    losses = learner.meta_step(batch, iteration)
    assert all(torch.equal(a, b.detach()) for a, b in zip(params, learner.meta_parameters())), "meta_step moved weights"
    grads = [p.grad for p in learner.meta_parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    return grads, losses


def leaves_of(learner):
    return [p.detach().clone().requires_grad_() for p in learner.meta_parameters()]


def assert_gradients_close(actual, expected):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"tensor {i}: {tuple(a.shape)} vs {tuple(e.shape)}"
        torch.testing.assert_close(a, e, rtol=1e-7, atol=ATOL, msg=lambda m, i=i: f"meta-parameter {i}: {m}")
    assert max(e.abs().max() for e in expected) > 1e-3  # a real gradient, not all zeros


SPEC_TANH = MLPSpec(hidden=(12, 10), activation="tanh")


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "silu"])
@pytest.mark.parametrize("steps", [1, 3])
def test_maml_matches_reference(activation, steps):
    spec = MLPSpec(hidden=(12, 10), activation=activation)
    learner = make_learner(spec, algorithm="maml", inner_lr=0.05, inner_steps=steps)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, losses = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(spec, leaves, batch, steps, ref.constant_rate(0.05))
    assert_gradients_close(grads, expected)
    _, before, after = ref.gradient_meta_loss(spec, leaves, batch, steps, ref.constant_rate(0.05))
    torch.testing.assert_close(losses.before, before)
    torch.testing.assert_close(losses.after, after)


@pytest.mark.parametrize("algorithm", ["maml", "anil"])
@pytest.mark.parametrize("hidden", [(7,), (6, 5, 4)], ids=["one-hidden", "three-hidden"])
def test_other_depths_match_reference(algorithm, hidden):
    spec = MLPSpec(hidden=hidden, activation="silu")
    learner = make_learner(spec, algorithm=algorithm, inner_lr=0.1, inner_steps=2)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(spec, leaves, batch, 2, ref.constant_rate(0.1),
                                           head_only=algorithm == "anil")
    assert_gradients_close(grads, expected)


@pytest.mark.parametrize("steps", [1, 3])
def test_fomaml_matches_first_order_reference(steps):
    learner = make_learner(SPEC_TANH, algorithm="fomaml", inner_lr=0.05, inner_steps=steps)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, steps, ref.constant_rate(0.05), first_order=True)
    assert_gradients_close(grads, expected)


def test_second_order_differs_clearly_from_first_order():
    batch = make_batch(meta_batch=8)
    maml, _ = engine_gradient(make_learner(SPEC_TANH, algorithm="maml", inner_lr=0.1, inner_steps=2), batch)
    fomaml, _ = engine_gradient(make_learner(SPEC_TANH, algorithm="fomaml", inner_lr=0.1, inner_steps=2), batch)
    difference = torch.cat([(a - b).flatten() for a, b in zip(maml, fomaml)]).norm()
    size = torch.cat([b.flatten() for b in fomaml]).norm()
    assert difference > 0.05 * size


@pytest.mark.parametrize("steps", [1, 2])
def test_anil_matches_reference_head_only_second_order(steps):
    learner = make_learner(SPEC_TANH, algorithm="anil", inner_lr=0.1, inner_steps=steps)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, steps, ref.constant_rate(0.1), head_only=True)
    assert_gradients_close(grads, expected)
    # adapting the head only is a different objective from adapting everything
    full = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, steps, ref.constant_rate(0.1))
    assert not torch.allclose(grads[0], full[0], atol=1e-6)


@pytest.mark.parametrize("steps", [1, 2])
def test_metasgd_matches_reference_for_weights_and_rates(steps):
    learner = make_learner(SPEC_TANH, algorithm="metasgd", inner_lr=0.05, inner_steps=steps)
    n = len(learner.params)
    assert len(learner.meta_parameters()) == 2 * n
    with torch.no_grad():  # distinct rates per entry, so a mix-up of tensors or entries shows
        for i, rate in enumerate(learner.meta_parameters()[n:]):
            rate.mul_(1 + 0.5 * torch.rand(rate.shape, generator=torch.Generator().manual_seed(i)))
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, steps, ref.per_parameter_rate(leaves[n:]))
    assert_gradients_close(grads, expected)
    assert all(g.abs().max() > 0 for g in grads[n:]), "every rate tensor gets a gradient"


@pytest.mark.parametrize("iteration, weights", [(0, [1 / 3, 1 / 3, 1 / 3]), (50, [1 / 6, 1 / 6, 2 / 3]),
                                                (100, [0.0, 0.0, 1.0]), (500, [0.0, 0.0, 1.0])])
def test_mamlpp_multi_step_loss_matches_reference(iteration, weights):
    learner = make_learner(SPEC_TANH, algorithm="maml", inner_lr=0.05, inner_steps=3, multi_step_loss=True,
                           multi_step_loss_iterations=100)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, losses = engine_gradient(learner, batch, iteration)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, 3, ref.constant_rate(0.05), step_weights=weights)
    assert_gradients_close(grads, expected)
    _, _, after = ref.gradient_meta_loss(SPEC_TANH, leaves, batch, 3, ref.constant_rate(0.05))
    torch.testing.assert_close(losses.after, after)  # reported loss: the last step, whatever the weights


@pytest.mark.parametrize("algorithm, first_order", [("maml", False), ("fomaml", True)])
def test_mamlpp_learned_per_step_rates_match_reference(algorithm, first_order):
    steps = 3
    learner = make_learner(SPEC_TANH, algorithm=algorithm, inner_lr=0.05, inner_steps=steps, learn_inner_lr=True)
    n = len(learner.params)
    table = learner.meta_parameters()[n]
    assert table.shape == (steps, n)
    with torch.no_grad():
        table.copy_(torch.linspace(0.02, 0.12, steps * n).reshape(steps, n))
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, steps, ref.per_step_rate(leaves[n]),
                                           first_order=first_order)
    assert_gradients_close(grads, expected)
    assert (grads[n].abs() > 0).all(), "every step's rate of every tensor gets a gradient"


def test_mamlpp_all_options_together():
    learner = make_learner(SPEC_TANH, algorithm="maml", inner_lr=0.05, inner_steps=2, learn_inner_lr=True,
                           multi_step_loss=True, multi_step_loss_iterations=10, first_order_iterations=4)
    n = len(learner.params)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch, iteration=5)  # second order; MSL weights (0.25, 0.75)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, 2, ref.per_step_rate(leaves[n]),
                                           step_weights=[0.25, 0.75])
    assert_gradients_close(grads, expected)


@pytest.mark.parametrize("iteration, first_order", [(0, True), (9, True), (10, False), (11, False)])
def test_first_order_iterations_switch_to_second_order_at_n(iteration, first_order):
    learner = make_learner(SPEC_TANH, algorithm="maml", inner_lr=0.1, inner_steps=2, first_order_iterations=10)
    batch = make_batch()
    leaves = leaves_of(learner)
    grads, _ = engine_gradient(learner, batch, iteration)
    rate = ref.constant_rate(0.1)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, 2, rate, first_order=first_order)
    other = ref.reference_meta_gradient(SPEC_TANH, leaves, batch, 2, rate, first_order=not first_order)
    assert_gradients_close(grads, expected)
    assert not torch.allclose(grads[0], other[0], atol=1e-6)


@pytest.mark.parametrize("steps", [1, 5])
def test_reptile_gradient_is_theta_minus_mean_adapted(steps):
    learner = make_learner(SPEC_TANH, algorithm="reptile", inner_lr=0.05, inner_steps=steps)
    batch = make_batch()
    theta = [p.detach().clone() for p in learner.params]
    grads, losses = engine_gradient(learner, batch)
    expected = ref.reptile_meta_gradient(SPEC_TANH, theta, batch, steps, 0.05)
    assert_gradients_close(grads, expected)
    _, before, after = ref.gradient_meta_loss(SPEC_TANH, [t.requires_grad_() for t in theta], batch, steps,
                                              ref.constant_rate(0.05), first_order=True)
    torch.testing.assert_close(losses.before, before)
    torch.testing.assert_close(losses.after, after)


def test_reptile_with_one_task_and_one_step_is_a_scaled_sgd_gradient():
    """k = 1 and one task: theta - phi = lr * grad of the support loss (independent of reference.py)."""
    learner = make_learner(SPEC_TANH, algorithm="reptile", inner_lr=0.05, inner_steps=1)
    batch = make_batch(meta_batch=1)
    module = ref.reference_module(SPEC_TANH)
    theta = [p.detach().clone().requires_grad_() for p in learner.params]
    support = ref.mse(ref.predict(module, SPEC_TANH, theta, batch.x_support[0]), batch.y_support[0])
    sgd = torch.autograd.grad(support, theta)
    grads, _ = engine_gradient(learner, batch)
    assert_gradients_close(grads, [0.05 * g for g in sgd])


def test_meta_gradient_is_float32_close_too():
    """The default dtype path (float32) agrees with the float64 reference within float32 rounding."""
    torch.set_default_dtype(torch.float32)
    learner = build_learner(SPEC_TANH, TrainingConfig(algorithm="maml", inner_lr=0.05, inner_steps=2),
                            torch.Generator().manual_seed(0), "cpu")
    batch = make_batch_in(torch.float32)
    grads = engine_gradient(learner, batch)[0]
    torch.set_default_dtype(torch.float64)
    leaves = [p.detach().double().requires_grad_() for p in learner.params]
    batch64 = batch.to("cpu")
    batch64 = type(batch)(*(t.double() for t in (batch64.x_support, batch64.y_support, batch64.x_query,
                                                  batch64.y_query)), batch64.params, batch64.family)
    expected = ref.reference_meta_gradient(SPEC_TANH, leaves, batch64, 2, ref.constant_rate(0.05))
    for a, e in zip(grads, expected):
        torch.testing.assert_close(a.double(), e, rtol=1e-4, atol=1e-5)


def make_batch_in(dtype):
    batch = build_family(TaskConfig(family="sinusoid")).sample(4, 5, 6, torch.Generator().manual_seed(0), "cpu")
    assert batch.x_support.dtype == dtype
    return batch
