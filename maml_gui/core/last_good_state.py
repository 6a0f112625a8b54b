"""Copies of the training state at recent iterations, to go back to when an iteration fails.

Everything one meta-iteration changes — the meta-parameters (weights and learned rates), the
baseline's weights, the optimisers' state (Adam moments and step counts) and the task
generator — is copied after each iteration into a preallocated flat buffer (one
``torch._foreach_copy_``; about 10 k numbers for the paper model). Three buffers rotate:

- ``latest``: the state after the last iteration that passed its checks;
- ``confirmed``: a state whose weights were also seen to give a sane loss (the loss of
  iteration ``i + 1`` is computed with the weights of iteration ``i``, so ``latest`` is
  confirmed by the next iteration, or by :meth:`LastGoodState.confirm` before a save);
- a spare one that the next capture writes into.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor


class _Copy:
    """One saved state: a flat buffer, views of it shaped like the live tensors, and where they go."""

    def __init__(self, live: list[Tensor], layout: tuple, entries: list, param_count: int) -> None:
        self.entries = entries  # (optimizer, parameter, key, tensor) of the optimiser state, after the parameters
        self.param_count = param_count
        dtype = torch.float64 if any(t.dtype == torch.float64 for t in live) else torch.float32
        device = live[0].device
        self.layout = layout
        self.buffer = torch.empty(sum(t.numel() for t in live), dtype=dtype, device=device)
        self.views: list[Tensor] = []
        offset = 0
        for t in live:
            self.views.append(self.buffer[offset:offset + t.numel()].view(t.shape))
            offset += t.numel()
        self.iteration = 0
        self.generator_state: Tensor | None = None
        self.param_numel = sum(v.numel() for v in self.views[:param_count])
        self.parameters = self.buffer[:self.param_numel]  # the copied parameters, flat


class LastGoodState:
    """Keeps the state of recent good iterations of one trainer and puts one back on demand.

    ``parameters`` returns the tensors updated in place each iteration, in a fixed order: first
    the meta-parameters (``meta_count`` of them), then the baseline's; ``optimizers`` are the
    optimisers whose state goes with them.
    """

    def __init__(self, parameters: Callable[[], Sequence[Tensor]], meta_count: int,
                 optimizers: Sequence[torch.optim.Optimizer], generator: torch.Generator) -> None:
        self._parameters = parameters
        self._meta_count = meta_count
        self._optimizers = list(optimizers)
        self._generator = generator
        self._layout: tuple | None = None
        self._live: list[Tensor] = []
        self._copies: list[_Copy | None] = [None, None, None]
        self._latest = self._confirmed = -1
        self._captured = -1

    # -- what is live ---------------------------------------------------------------------------
    def _state_entries(self) -> list[tuple[torch.optim.Optimizer, Tensor, str, Tensor]]:
        entries = []
        for optimizer in self._optimizers:
            for group in optimizer.param_groups:
                for p in group["params"]:
                    for key, value in optimizer.state.get(p, {}).items():
                        if isinstance(value, Tensor):
                            entries.append((optimizer, p, key, value))
        return entries

    def _refresh_live(self) -> None:
        """Re-read the live tensors when the optimisers' state appeared or was replaced."""
        layout = tuple(len(o.state) for o in self._optimizers)
        if layout == self._layout:
            return
        params = [p.detach() for p in self._parameters()]
        self._entries = self._state_entries()
        self._live = params + [value.detach() for *_, value in self._entries]
        self._layout = layout
        # one torch.cat into the buffer is ~2x faster than a foreach copy of ~50 small tensors
        same = all(t.is_contiguous() and t.dtype == self._live[0].dtype and t.device == self._live[0].device
                   for t in self._live)
        self._flat_live = [t.view(-1) for t in self._live] if same else None

    def forget(self) -> None:
        """The live tensors were replaced (a state was loaded): read them again, drop old copies."""
        self._layout = None
        self._copies = [None, None, None]
        self._latest = self._confirmed = self._captured = -1

    # -- saving ---------------------------------------------------------------------------------
    def capture(self, iteration: int) -> Tensor:
        """Copy the live state into the spare buffer (not yet ``latest``: see :meth:`commit`).

        Returns the copied parameters (meta-parameters, then the baseline's) as one flat view,
        for checking their magnitude in one op."""
        self._refresh_live()
        latest, confirmed = self._latest, self._confirmed
        if latest >= 0 and confirmed >= 0 and latest != confirmed:
            index = 3 - latest - confirmed  # the third buffer
        else:
            index = next(i for i in range(3) if i not in (latest, confirmed))
        copy = self._copies[index]
        if copy is None or copy.layout != (self._layout, len(self._live)):
            copy = self._copies[index] = _Copy(self._live, (self._layout, len(self._live)), list(self._entries),
                                               len(self._live) - len(self._entries))
        if self._flat_live is not None and copy.buffer.dtype == self._live[0].dtype:
            torch.cat(self._flat_live, out=copy.buffer)
        else:
            torch._foreach_copy_(copy.views, self._live)
        copy.iteration = iteration
        copy.generator_state = self._generator.get_state()
        self._captured = index
        return copy.parameters

    def captured_parts(self) -> tuple[Tensor, Tensor | None]:
        """The captured meta-parameters and baseline parameters, flat (the latter None without a baseline)."""
        copy = self._copies[self._captured]
        meta_numel = sum(v.numel() for v in copy.views[:self._meta_count])
        baseline = copy.buffer[meta_numel:copy.param_numel] if copy.param_numel > meta_numel else None
        return copy.buffer[:meta_numel], baseline

    def commit(self) -> None:
        """The captured state passed its checks: it becomes ``latest``, the previous one ``confirmed``."""
        if self._latest >= 0:
            self._confirmed = self._latest
        self._latest, self._captured = self._captured, -1

    def confirm(self) -> None:
        """``latest`` gave a sane loss too (checked before a save)."""
        self._confirmed = self._latest

    def has_unconfirmed(self) -> bool:
        return self._latest >= 0 and self._latest != self._confirmed

    # -- going back -------------------------------------------------------------------------------
    def restore(self, confirmed_only: bool = False) -> int:
        """Put back ``latest`` (or ``confirmed``, when the latest weights are at fault and an
        older confirmed state exists); returns the iteration restored."""
        index = self._confirmed if confirmed_only and self._confirmed >= 0 else self._latest
        copy = self._copies[index]
        with torch.no_grad():
            params = [p.detach() for p in self._parameters()]
            torch._foreach_copy_(params, copy.views[:copy.param_count])
            kept: dict[tuple[int, int], dict[str, Tensor]] = {}
            for (optimizer, p, key, _), view in zip(copy.entries, copy.views[copy.param_count:]):
                kept.setdefault((id(optimizer), id(p)), {})[key] = view
            for optimizer in self._optimizers:
                for p in list(optimizer.state):
                    saved = kept.get((id(optimizer), id(p)))
                    if saved is None:
                        del optimizer.state[p]
                        continue
                    state = optimizer.state[p]
                    for key, view in saved.items():
                        if isinstance(state.get(key), Tensor) and state[key].shape == view.shape:
                            state[key].copy_(view)
                        else:
                            state[key] = view.clone()
        self._generator.set_state(copy.generator_state)
        self._latest = index  # a confirmed state older than it stays the fallback
        self._layout = None  # optimiser state entries may have been removed or re-created
        return copy.iteration
