"""Known values inside a model: a number or an expression, evaluated as real channels, stored as text.

A lifted ansatz (:mod:`sirenpde.model.lifted`) carries the boundary or initial data it imposes;
a result file must rebuild them, so they are kept in a form that survives JSON: a number (real or
complex) or an expression's text with its axes. A Python callable works in a run but cannot be
stored; saving it says so.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..expressions.coefficients import PointExpression, expression

__all__ = ["Value", "as_channels", "value_description", "value_from_description"]

Value = float | complex | PointExpression | Callable[[torch.Tensor], torch.Tensor]


def as_channels(value: Value, x: torch.Tensor, channels: int) -> torch.Tensor:
    """``value`` at points (N, d) as real channels (N, channels): one real channel, or a complex
    field's (re, im) pair."""
    if isinstance(value, (int, float, complex)):
        v = torch.full((x.shape[0],), complex(value), dtype=_complex(x.dtype), device=x.device)
        v = v.real if channels == 1 and complex(value).imag == 0 else v
    elif isinstance(value, PointExpression):
        v = value(x)
        v = v.to(x.dtype) if v.dtype == torch.bool else v
    else:
        v = value(x).reshape(x.shape[0])
    if channels == 2:
        v = v.to(_complex(x.dtype))
        return torch.stack([v.real, v.imag], dim=1)
    if v.is_complex():
        raise ValueError("a complex boundary or initial value was given for a real field")
    return v.to(x.dtype)[:, None]


def _complex(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def value_description(value: Value) -> dict:
    """A JSON-able record of ``value``; a Python callable cannot be stored and raises."""
    if isinstance(value, (int, float, complex)):
        return {"number": [complex(value).real, complex(value).imag]}
    if isinstance(value, PointExpression):
        return {"expression": value.compiled.text, "axes": list(value.axes)}
    raise ValueError(f"a boundary or initial value given as a Python callable ({type(value).__name__})"
                     " cannot be stored with the result; give it as sirenpde.expression('…') or a number")


def value_from_description(record: dict) -> Value:
    """The value :func:`value_description` recorded."""
    if "number" in record:
        re, im = record["number"]
        return complex(re, im) if im else float(re)
    return expression(record["expression"], tuple(record["axes"]))
