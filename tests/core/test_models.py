"""The functional MLP: forward pass, layouts, and the hand-written gradients (first and second order)."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core import models
from maml_gui.core.models import MLPSpec

from . import reference as ref

ACTIVATIONS = ["relu", "tanh", "gelu", "silu"]


pytestmark = pytest.mark.usefixtures("float64")  # tests/core/conftest.py


def random_setup(activation, batched, tasks=3, points=7, seed=0, hidden=(6, 5)):
    spec = MLPSpec(hidden=hidden, activation=activation)
    g = torch.Generator().manual_seed(seed)
    params = models.init_parameters(spec, g)
    if batched:  # a different copy per task, biases [B, 1, out]
        params = [(p + 0.3 * torch.randn((tasks, *p.shape), generator=g)).reshape(tasks, -1, p.shape[-1])
                  for p in params]
    params = [p.clone().requires_grad_() for p in params]
    x = 4 * torch.rand(tasks, points, 1, generator=g) - 2
    y = torch.sin(2 * x) + 0.1 * torch.randn(tasks, points, 1, generator=g)
    return spec, params, x, y


def task_params(params, b, batched):
    """Task ``b``'s parameters in unbatched layout (weights [in, out], biases [out])."""
    if not batched:
        return list(params)
    return [p[b] if i % 2 == 0 else p[b, 0] for i, p in enumerate(params)]


def plain_task_loss(spec, module, params, x, y, b, batched):
    return ref.mse(ref.predict(module, spec, task_params(params, b, batched), x[b]), y[b])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batched", [False, True], ids=["shared", "batched"])
def test_forward_matches_torch_module(activation, batched):
    spec, params, x, _ = random_setup(activation, batched)
    out = models.forward(spec, params, x)
    assert out.shape == (3, 7, 1)
    for b in range(3):
        module = models.build_torch_module(spec, [p.detach() for p in task_params(params, b, batched)])
        torch.testing.assert_close(out[b], module.double()(x[b]))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batched", [False, True], ids=["shared", "batched"])
def test_loss_and_grads_equal_autograd(activation, batched):
    spec, params, x, y = random_setup(activation, batched)
    loss, grads = models.loss_and_grads(spec, params, x, y)
    assert loss.shape == (3,)
    module = ref.reference_module(spec)
    for b in range(3):
        plain = plain_task_loss(spec, module, params, x, y, b, batched)
        torch.testing.assert_close(loss[b], plain)
        expected = torch.autograd.grad(plain, params)
        for i, (g, e) in enumerate(zip(grads, expected)):
            if batched:  # only task b's slice of its own parameters gets a gradient
                assert torch.all(torch.cat([e[:b], e[b + 1:]]) == 0)
                e = e[b]
            e = e.reshape(g[b].shape)
            torch.testing.assert_close(g[b], e, rtol=1e-9, atol=1e-12, msg=lambda m, i=i: f"param {i}: {m}")
    assert grads[0].shape == (3, 1, 6) and grads[1].shape == (3, 1, 6) and grads[-2].shape == (3, 5, 1)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batched", [False, True], ids=["shared", "batched"])
def test_second_derivatives_equal_double_backward(activation, batched):
    """d/dtheta <grad L(theta), v> (a Hessian-vector product) through the hand-written gradient
    equals the same quantity from autograd's double backward of a plain module."""
    spec, params, x, y = random_setup(activation, batched)
    g = torch.Generator().manual_seed(5)
    _, grads = models.loss_and_grads(spec, params, x, y)
    v = [torch.randn(gr.shape, generator=g) for gr in grads]
    hand = torch.autograd.grad(sum((gr * vi).sum() for gr, vi in zip(grads, v)), params)

    module = ref.reference_module(spec)
    contraction = 0.0
    for b in range(3):
        plain = plain_task_loss(spec, module, params, x, y, b, batched)
        first = torch.autograd.grad(plain, params, create_graph=True)
        for f, vi in zip(first, v):
            f = f[b] if batched else f
            contraction = contraction + (f.reshape(vi[b].shape) * vi[b]).sum()
    expected = torch.autograd.grad(contraction, params)
    for i, (h, e) in enumerate(zip(hand, expected)):
        torch.testing.assert_close(h, e, rtol=1e-8, atol=1e-10, msg=lambda m, i=i: f"param {i}: {m}")
    assert max(h.abs().max() for h in hand) > 1e-3


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_jacobian_of_hand_gradient_is_the_hessian(activation):
    """One task, flat parameters: the Jacobian of the hand-written gradient is the loss's Hessian."""
    spec, params, x, y = random_setup(activation, batched=False, tasks=1, hidden=(4, 3))
    shapes = [p.shape for p in params]
    flat = torch.cat([p.detach().flatten() for p in params])

    def unflatten(vector):
        out, start = [], 0
        for shape in shapes:
            n = torch.Size(shape).numel()
            out.append(vector[start:start + n].reshape(shape))
            start += n
        return out

    module = ref.reference_module(spec)

    def plain_loss(vector):
        return ref.mse(ref.predict(module, spec, unflatten(vector), x[0]), y[0])

    def hand_gradient(vector):
        _, grads = models.loss_and_grads(spec, unflatten(vector), x, y)
        return torch.cat([gr[0].flatten() for gr in grads])

    hessian = torch.func.jacrev(torch.func.jacrev(plain_loss))(flat)  # (func.hessian's forward mode warns)
    jacobian = torch.autograd.functional.jacobian(hand_gradient, flat)
    torch.testing.assert_close(jacobian, hessian, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(jacobian, jacobian.T, rtol=1e-8, atol=1e-10)  # a Hessian is symmetric


def test_gradient_of_one_maml_step_equals_autograd():
    """The quantity MAML differentiates: query loss after one inner step, w.r.t. the initialisation."""
    spec, params, x, y = random_setup("tanh", batched=False)
    xq, yq = x.flip(1) * 0.9, y.flip(1)
    _, grads = models.loss_and_grads(spec, params, x, y)
    adapted = [p - 0.1 * gr for p, gr in zip(params, grads)]
    hand = torch.autograd.grad(models.task_mse(models.forward(spec, adapted, xq), yq).sum(), params)

    module = ref.reference_module(spec)
    total = 0.0
    for b in range(3):
        history = ref.adapt_one_task(module, spec, params, x[b], y[b], 1, ref.constant_rate(0.1), first_order=False)
        total = total + ref.mse(ref.predict(module, spec, history[1], xq[b]), yq[b])
    expected = torch.autograd.grad(total, params)
    for h, e in zip(hand, expected):
        torch.testing.assert_close(h, e, rtol=1e-8, atol=1e-10)


def test_torch_layout_round_trip_and_shapes():
    spec = MLPSpec(hidden=(5, 4))
    params = models.init_parameters(spec, torch.Generator().manual_seed(0))
    state = models.to_torch_layout(spec, params)
    assert list(state) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                           "layers.4.weight", "layers.4.bias"]
    assert state["layers.0.weight"].shape == (5, 1) and state["layers.2.weight"].shape == (4, 5)
    back = models.from_torch_layout(spec, state)
    assert all(torch.equal(a, b) for a, b in zip(params, back))
    module_state = models.build_torch_module(spec, params).state_dict()
    assert all(torch.equal(module_state[k.removeprefix("layers.")], v) for k, v in state.items())


def test_from_torch_layout_rejects_missing_and_misshapen():
    spec = MLPSpec(hidden=(5,))
    state = models.to_torch_layout(spec, models.init_parameters(spec))
    with pytest.raises(ValueError, match="layers.2.bias"):
        models.from_torch_layout(spec, {k: v for k, v in state.items() if k != "layers.2.bias"})
    with pytest.raises(ValueError, match="shape"):
        models.from_torch_layout(spec, {**state, "layers.0.weight": torch.zeros(1, 5)})


def test_init_is_seeded_and_bounded_like_nn_linear():
    spec = MLPSpec(hidden=(40, 40))
    a = models.init_parameters(spec, torch.Generator().manual_seed(1))
    b = models.init_parameters(spec, torch.Generator().manual_seed(1))
    c = models.init_parameters(spec, torch.Generator().manual_seed(2))
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not torch.equal(a[2], c[2])
    assert sum(p.numel() for p in a) == spec.parameter_count() == 1761
    for i, p in enumerate(a):
        if p.numel() < 40:
            continue  # too few draws to come near the bound
        fan_in = spec.sizes[i // 2]
        bound = fan_in ** -0.5
        assert p.abs().max() <= bound and p.abs().max() > 0.9 * bound


def test_head_spec_and_bad_activation():
    spec = MLPSpec(hidden=(8, 6), activation="silu")
    assert spec.head() == MLPSpec(hidden=(), activation="silu", inputs=6, outputs=1)
    with pytest.raises(ValueError, match="softplus"):
        MLPSpec(activation="softplus")
