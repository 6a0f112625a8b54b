"""The pretrained baseline: its written-out gradient, what it trains on and when."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.algorithms.baseline import STEP_EVERY, PretrainedBaseline, mlp_mse_and_gradients, pooled_points
from maml_gui.core.models import MLPSpec, forward, init_parameters
from maml_gui.core.tasks import build_family
from maml_gui.core.config import TaskConfig


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "silu"])
@pytest.mark.parametrize("hidden", [(8,), (8, 6), (5, 4, 3)])
def test_written_out_gradient_matches_autograd(activation, hidden):
    spec = MLPSpec(hidden=hidden, activation=activation, inputs=2, outputs=3)
    generator = torch.Generator().manual_seed(1)
    params = [p.double().requires_grad_() for p in init_parameters(spec, generator)]
    x, y = torch.randn(17, 2, dtype=torch.float64, generator=generator), torch.randn(17, 3, dtype=torch.float64,
                                                                                       generator=generator)
    loss = (forward(spec, params, x) - y).square().mean()
    expected = torch.autograd.grad(loss, params)
    with torch.no_grad():
        value, grads = mlp_mse_and_gradients(spec, [p.detach() for p in params], x, y)
    assert value.item() == pytest.approx(loss.item(), rel=1e-12)
    for g, e in zip(grads, expected):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-12)


def test_baseline_steps_every_few_iterations_on_the_pooled_meta_batch():
    spec = MLPSpec(hidden=(16, 16))
    baseline = PretrainedBaseline(spec, 1e-2, torch.Generator().manual_seed(0), "cpu")
    family = build_family(TaskConfig())
    batch = family.sample(6, 5, 7, torch.Generator().manual_seed(2))
    x, y = pooled_points(batch)
    assert x.shape == y.shape == (6 * 12, 1)
    assert [i for i in range(13) if baseline.trains_at(i)] == list(range(0, 13, STEP_EVERY)) and STEP_EVERY > 1
    before = [p.detach().clone() for p in baseline.params]
    first = baseline.train_step(batch)
    with torch.no_grad():
        expected = (forward(spec, before, x) - y).square().mean()
    assert first.item() == pytest.approx(expected.item(), rel=1e-6)
    assert not any(torch.equal(a, b.detach()) for a, b in zip(before, baseline.params))
    for _ in range(30):
        baseline.train_step(batch)
    assert baseline.loss(batch).item() < first.item()  # it learns the pooled regression


def test_the_direct_fused_adam_step_equals_torch_optim_adam():
    """The baseline calls the fused Adam kernel itself: the same weights and optimiser state as
    torch.optim.Adam(fused=True).step() over many steps, bit for bit."""
    spec = MLPSpec(hidden=(16, 16))
    direct = PretrainedBaseline(spec, 1e-2, torch.Generator().manual_seed(0), "cpu")
    reference = PretrainedBaseline(spec, 1e-2, torch.Generator().manual_seed(0), "cpu")
    reference._fused_adam_step = lambda grads: False  # always through torch.optim
    calls = []
    original = direct._fused_adam_step
    direct._fused_adam_step = lambda grads: calls.append(original(grads)) or calls[-1]
    family = build_family(TaskConfig())
    generator = torch.Generator().manual_seed(3)
    for _ in range(12):
        batch = family.sample(5, 5, 5, generator)
        assert torch.equal(direct.train_step(batch), reference.train_step(batch))
    assert calls[0] is False and all(calls[1:])  # the first step creates the state through torch.optim
    assert all(torch.equal(a, b) for a, b in zip(direct.params, reference.params))
    for p, q in zip(direct.params, reference.params):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(direct.optimizer.state[p][key], reference.optimizer.state[q][key])
