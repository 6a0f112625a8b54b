"""The generic torch.func path: meta-gradients of every algorithm on Conv-4 (with batch norm) and
MLP classifiers against the slow per-task reference, and equal to the hand-written MLP/MSE fast path."""

from __future__ import annotations

import copy

import pytest
import torch

from maml_gui.core.adaptation import InnerRates
from maml_gui.core.algorithms import build_learner
from maml_gui.core.config import TaskConfig, TrainingConfig
from maml_gui.core.conv_models import Conv4Spec
from maml_gui.core.functional_model import Conv4Model
from maml_gui.core.model_backends import FastMLPRegression, FunctionalBackend, backend_for
from maml_gui.core.models import MLPSpec
from maml_gui.core.tasks import build_family

from . import functional_reference as ref
from .classification_standins import MeanImagesStandIn, PointBlobsStandIn

pytestmark = pytest.mark.usefixtures("float64", "one_thread")

POOLED = Conv4Spec(channels=1, image_size=16, filters=4, outputs=3)
STRIDED = Conv4Spec(channels=2, image_size=8, filters=5, outputs=3, strided=True)
POINTS_MLP = MLPSpec(hidden=(8, 6), activation="tanh", inputs=2, outputs=3)


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def image_batch(spec: Conv4Spec, seed=0, tasks=3):
    family = MeanImagesStandIn(side=spec.image_size, channels=spec.channels)
    return family.sample(tasks, spec.outputs, 2, 3, torch.Generator().manual_seed(seed))


def point_batch(seed=0, tasks=3):
    return PointBlobsStandIn().sample(tasks, 3, 2, 3, torch.Generator().manual_seed(seed))


def learner_for(spec, seed=0, kind="classification", generic=False, **training):
    return build_learner(spec, TrainingConfig(**training), torch.Generator().manual_seed(seed), "cpu", kind, generic)


def engine_gradient(learner, batch, iteration=0):
    losses = learner.meta_step(batch, iteration)
    grads = [p.grad for p in learner.meta_parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    return grads, losses


def assert_close_lists(actual, expected, atol=1e-9):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"tensor {i}: {tuple(a.shape)} vs {tuple(e.shape)}"
        torch.testing.assert_close(a, e, rtol=1e-7, atol=atol, msg=lambda m, i=i: f"meta-parameter {i}: {m}")
    assert max(e.abs().max() for e in expected) > 1e-4  # a real gradient, not all zeros


def reference_module(learner):
    return copy.deepcopy(learner.backend.model.module).double()


CASES = [("conv-pooled", POOLED, image_batch, False), ("conv-strided", STRIDED, image_batch, False),
         ("conv-pooled-vmap", POOLED, image_batch, True), ("conv-strided-vmap", STRIDED, image_batch, True),
         ("mlp-points", POINTS_MLP, lambda spec, **k: point_batch(**k), False)]


@pytest.mark.parametrize("name, spec, make_batch, vmapped", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("algorithm, steps", [("maml", 1), ("maml", 2), ("fomaml", 2), ("anil", 2)])
def test_generic_meta_gradient_matches_per_task_reference(name, spec, make_batch, vmapped, algorithm, steps):
    """Conv-4 both as grouped convolutions (the default) and as functional_call under vmap."""
    learner = learner_for(spec, algorithm=algorithm, inner_lr=0.3, inner_steps=steps, generic=vmapped)
    assert isinstance(learner.backend, FunctionalBackend)
    assert isinstance(learner.backend.model, Conv4Model) == (spec is not POINTS_MLP and not vmapped)
    batch = make_batch(spec)
    leaves = [p.detach().clone().requires_grad_() for p in learner.meta_parameters()]
    grads, losses = engine_gradient(learner, batch)
    expected = ref.meta_gradient(reference_module(learner), leaves, len(leaves), batch, steps,
                                 lambda s, i: 0.3, ref.cross_entropy, first_order=algorithm == "fomaml",
                                 head_only=algorithm == "anil")
    assert_close_lists(grads, expected)
    assert 0.0 <= float(losses.metric_after) <= 1.0  # accuracy rides along for classification


@pytest.mark.parametrize("spec, make_batch", [(POOLED, image_batch), (POINTS_MLP, lambda s: point_batch())],
                         ids=["conv", "mlp"])
def test_metasgd_rates_and_weights_match_reference(spec, make_batch):
    learner = learner_for(spec, algorithm="metasgd", inner_lr=0.2, inner_steps=2)
    n = len(learner.params)
    with torch.no_grad():  # distinct rates per entry, so a mix-up of tensors or entries shows
        for i, rate in enumerate(learner.meta_parameters()[n:]):
            rate.mul_(1 + 0.5 * torch.rand(rate.shape, generator=torch.Generator().manual_seed(i)))
    batch = make_batch(spec)
    leaves = [p.detach().clone().requires_grad_() for p in learner.meta_parameters()]
    grads, _ = engine_gradient(learner, batch)
    expected = ref.meta_gradient(reference_module(learner), leaves, n, batch, 2, lambda s, i: leaves[n + i],
                                 ref.cross_entropy)
    assert_close_lists(grads, expected)
    assert all(g.abs().max() > 0 for g in grads[n:]), "every rate tensor gets a gradient"


@pytest.mark.parametrize("first_order", [False, True])
def test_conv_mamlpp_options_match_reference(first_order):
    """Learned per-step per-tensor rates (LSLR) and the multi-step loss, through conv and batch norm."""
    learner = learner_for(POOLED, algorithm="fomaml" if first_order else "maml", inner_lr=0.2, inner_steps=2,
                          learn_inner_lr=True, multi_step_loss=True, multi_step_loss_iterations=10)
    n = len(learner.params)
    with torch.no_grad():
        learner.meta_parameters()[n].copy_(torch.linspace(0.1, 0.3, 2 * n).reshape(2, n))
    batch = image_batch(POOLED)
    leaves = [p.detach().clone().requires_grad_() for p in learner.meta_parameters()]
    grads, _ = engine_gradient(learner, batch, iteration=5)  # MSL weights (0.25, 0.75)
    table = leaves[n]
    expected = ref.meta_gradient(reference_module(learner), leaves, n, batch, 2, lambda s, i: table[s, i],
                                 ref.cross_entropy, first_order=first_order, step_weights=[0.25, 0.75])
    assert_close_lists(grads, expected)


def test_conv_first_order_iterations_switch_to_second_order():
    learner = learner_for(POOLED, algorithm="maml", inner_lr=0.3, inner_steps=1, first_order_iterations=3)
    batch = image_batch(POOLED)
    leaves = [p.detach().clone().requires_grad_() for p in learner.meta_parameters()]
    early, _ = engine_gradient(learner, batch, iteration=2)
    early = [g.clone() for g in early]
    for p in learner.meta_parameters():
        p.grad = None
    late, _ = engine_gradient(learner, batch, iteration=3)
    module = reference_module(learner)
    first = ref.meta_gradient(module, leaves, len(leaves), batch, 1, lambda s, i: 0.3, ref.cross_entropy,
                              first_order=True)
    second = ref.meta_gradient(module, leaves, len(leaves), batch, 1, lambda s, i: 0.3, ref.cross_entropy)
    assert_close_lists(early, first)
    assert_close_lists(late, second)


def test_conv_second_order_differs_from_first_order():
    batch = image_batch(POOLED, tasks=4)
    second, _ = engine_gradient(learner_for(POOLED, algorithm="maml", inner_lr=0.5, inner_steps=2), batch)
    first, _ = engine_gradient(learner_for(POOLED, algorithm="fomaml", inner_lr=0.5, inner_steps=2), batch)
    difference = torch.cat([(a - b).flatten() for a, b in zip(second, first)]).norm()
    assert difference > 0.01 * torch.cat([b.flatten() for b in first]).norm()


@pytest.mark.parametrize("spec", [POOLED, POINTS_MLP], ids=["conv", "mlp"])
def test_conv_reptile_direction_matches_reference(spec):
    learner = learner_for(spec, algorithm="reptile", inner_lr=0.2, inner_steps=3)
    batch = image_batch(spec) if spec is POOLED else point_batch()
    theta = [p.detach().clone() for p in learner.params]
    grads, losses = engine_gradient(learner, batch)
    expected = ref.reptile_direction(reference_module(learner), theta, batch, 3, 0.2, ref.cross_entropy)
    assert_close_lists(grads, expected)
    assert losses.metric_after is not None


# -- the generic path equals the fast path where both apply (MLP, MSE) -------------------------
def regression_batch():
    return build_family(TaskConfig(family="sinusoid", noise_std=0.1)).sample(4, 5, 6, torch.Generator().manual_seed(0))


FAST_CASES = [dict(algorithm="maml", inner_steps=1), dict(algorithm="maml", inner_steps=3),
              dict(algorithm="fomaml", inner_steps=2), dict(algorithm="anil", inner_steps=2),
              dict(algorithm="metasgd", inner_steps=2), dict(algorithm="reptile", inner_steps=3),
              dict(algorithm="maml", inner_steps=3, learn_inner_lr=True, multi_step_loss=True,
                   multi_step_loss_iterations=10, first_order_iterations=2)]


@pytest.mark.parametrize("options", FAST_CASES, ids=lambda o: "-".join(str(v) for v in o.values()))
@pytest.mark.parametrize("iteration", [0, 5])
def test_generic_path_equals_fast_path_on_mlp_regression(options, iteration):
    spec = MLPSpec(hidden=(12, 10), activation="tanh")
    fast = learner_for(spec, kind="regression", inner_lr=0.05, **options)
    generic = learner_for(spec, kind="regression", generic=True, inner_lr=0.05, **options)
    assert isinstance(fast.backend, FastMLPRegression) and isinstance(generic.backend, FunctionalBackend)
    assert all(torch.equal(a, b) for a, b in zip(fast.named_tensors().values(), generic.named_tensors().values()))
    batch = regression_batch()
    fast_losses = fast.meta_step(batch, iteration)
    generic_losses = generic.meta_step(batch, iteration)
    torch.testing.assert_close(generic_losses.after, fast_losses.after)
    torch.testing.assert_close(generic_losses.before, fast_losses.before)
    for p in fast.meta_parameters() + generic.meta_parameters():  # grads as named tensors, same layout
        p.data = p.grad
    fast_grads, generic_grads = fast.named_tensors(), generic.named_tensors()
    assert fast_grads.keys() == generic_grads.keys()
    for name in fast_grads:
        torch.testing.assert_close(generic_grads[name], fast_grads[name], rtol=1e-7, atol=1e-10)


def test_backend_choice_is_automatic():
    assert isinstance(backend_for(MLPSpec(), "regression"), FastMLPRegression)
    assert isinstance(backend_for(MLPSpec(inputs=2, outputs=3), "classification"), FunctionalBackend)
    assert isinstance(backend_for(POOLED, "classification"), FunctionalBackend)


# -- batch norm is transductive and per task -----------------------------------------------------
def test_batch_norm_uses_each_tasks_own_statistics():
    backend = backend_for(POOLED, "classification")
    params = backend.initial_parameters(torch.Generator().manual_seed(0))
    batch = image_batch(POOLED, tasks=2)
    both = backend.forward(params, batch.x_query)
    alone = backend.forward(params, batch.x_query[:1])
    torch.testing.assert_close(both[:1], alone)  # another task in the meta-batch changes nothing
    shifted = batch.x_query.clone()
    shifted[0, 1:] += 1.0  # other examples of the same task: the batch statistics move
    assert not torch.allclose(backend.forward(params, shifted)[0, 0], both[0, 0])


def test_inner_loop_without_grad_equals_with_grad():
    backend = backend_for(POOLED, "classification")
    params = backend.initial_parameters(torch.Generator().manual_seed(1))
    batch = image_batch(POOLED)
    args = (params, batch.x_support, batch.y_support, 2, InnerRates(0.3))
    with torch.no_grad():
        quiet = backend.inner_loop(*args, x_query=batch.x_query, query_steps=[0, 1, 2])
    loud = backend.inner_loop(*args, x_query=batch.x_query, query_steps=[0, 1, 2])
    for step in range(3):
        torch.testing.assert_close(quiet.query_predictions[step], loud.query_predictions[step].detach())
    assert not torch.allclose(quiet.query_predictions[0], quiet.query_predictions[2])


@pytest.mark.parametrize("spec", [POOLED, STRIDED])
def test_grouped_conv_forward_equals_vmap_for_shared_per_task_and_mixed_parameters(spec):
    batch = image_batch(spec, tasks=3)
    fast, vmapped = backend_for(spec, "classification"), backend_for(spec, "classification", generic=True)
    shared = fast.initial_parameters(torch.Generator().manual_seed(2))
    noise = torch.Generator().manual_seed(3)
    per_task = [p + 0.1 * torch.randn(3, *p.shape, generator=noise) for p in shared]
    for params in (shared, per_task, shared[:-2] + per_task[-2:]):
        torch.testing.assert_close(fast.forward(params, batch.x_query), vmapped.forward(params, batch.x_query))


@pytest.mark.parametrize("spec", [POOLED, STRIDED, Conv4Spec(channels=3, image_size=84, filters=32, outputs=5)])
def test_conv4_parameter_count_and_feature_size(spec):
    from maml_gui.core.conv_models import Conv4

    module = Conv4(spec)
    assert sum(p.numel() for p in module.parameters()) == spec.parameter_count()
    assert module.features(torch.zeros(2, *spec.input_shape)).shape == (2, spec.feature_size)
