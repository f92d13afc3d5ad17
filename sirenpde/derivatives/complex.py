"""Complex fields: pairs of real network channels seen as one complex channel.

The network stays real (its outputs are ``re u_0, im u_0, re u_1, im u_1, …``); constraints of a
complex problem receive a :class:`ComplexFields` and see complex values and derivatives. Every
quantity is assembled from the real :class:`Fields` underneath, so its caching carries over.
"""

from __future__ import annotations

import torch

from .fields import Fields

__all__ = ["ComplexFields", "to_complex", "to_real_channels"]


def to_complex(v: torch.Tensor) -> torch.Tensor:
    """Interleaved real channels (N, 2c, …) → complex channels (N, c, …)."""
    return torch.complex(v[:, 0::2], v[:, 1::2])


def to_real_channels(z: torch.Tensor) -> torch.Tensor:
    """Complex channels (N, c) → interleaved real channels (N, 2c)."""
    return torch.stack([z.real, z.imag], dim=2).reshape(z.shape[0], -1)


class ComplexFields(Fields):
    """The complex view of a real :class:`Fields` whose channels come in (real, imaginary) pairs."""

    def __init__(self, real: Fields):
        self._real = real
        self.x, self.normals, self.axes = real.x, real.normals, real.axes

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return self._real.laplacian_axes

    @property
    def value(self) -> torch.Tensor:
        return to_complex(self._real.value)

    @property
    def gradient(self) -> torch.Tensor:
        return to_complex(self._real.gradient)

    def second(self, axis: int | str) -> torch.Tensor:
        return to_complex(self._real.second(axis))

    @property
    def laplacian(self) -> torch.Tensor:
        return to_complex(self._real.laplacian)

    def at(self, x: torch.Tensor) -> ComplexFields:
        return ComplexFields(self._real.at(x))

    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        if not flux.is_complex():
            return self._real.divergence(flux)
        return torch.complex(self._real.divergence(flux.real), self._real.divergence(flux.imag))
