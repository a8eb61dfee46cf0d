"""dfd.Model inside a notebook's own PyTorch loop: parameters() for torch.optim, forward_torch(x)
differentiable through the native network (forward and backward run in LibTorch, C++).

The tensors parameters() returns share the model's memory, so an optimiser's in-place step is the
model's update; gradients reach them through the autograd Function below, whose backward asks
the C++ graph for the gradients of x and of every trainable parameter.
"""

from __future__ import annotations

import torch

from ._dfd import Model


class _NativeForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, model, x, *params):  # params: only so that autograd routes their gradients
        logits, graph = model._forward_graph(x, x.requires_grad)
        ctx.graph = graph
        return logits

    @staticmethod
    def backward(ctx, grad):
        grads = ctx.graph.backward(grad.contiguous())
        ctx.graph = None
        return (None, *grads)


def _trainable(model: Model) -> list:
    """The torch views of the trainable parameters, made once and kept while they are valid."""
    cached = getattr(model, "_torch_parameters", None)
    pointers = model._data_pointers()
    if cached is None or [t.data_ptr() for t in cached] != pointers:
        cached = [t for _, t in model.named_parameters() if t.requires_grad]
        model._torch_parameters = cached
    return cached


def parameters(self: Model) -> list:
    """The trainable parameters as torch tensors sharing the model's memory, for torch.optim.
    Take them again after to() or channels_last, which move the weights."""
    return list(_trainable(self))


def forward_torch(self: Model, x: torch.Tensor) -> torch.Tensor:
    """Logits [n, num_outputs] as a torch.Tensor that backpropagates into x (when it requires
    grad) and into parameters(). Under torch.no_grad() it is a plain forward pass."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"forward_torch expects a torch.Tensor, got {type(x).__name__}")
    if not torch.is_grad_enabled():
        return torch.from_numpy(self.forward(x))
    return _NativeForward.apply(self, x, *_trainable(self))

