"""The leaf nodes of a problem file: sections, expressions, counts, weights, gridded coefficients.

Both the schema (which declares the files) and the compiler (which turns their nodes into objects)
read these; neither needs the other to know them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..domains.interpolation import Interpolation

__all__ = ["Section", "TermSection", "Expr", "PointCount", "PositiveFloat", "GridCount", "Vector", "Weight",
           "expression_input", "reference_input", "GriddedNode", "Medium"]


class Section(BaseModel):
    """A block of a problem file: unknown keys, NaN and infinity are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def expression_input(value: Any) -> str | float:
    # Text is compiled later, against the problem's axes; numbers are constants. Nothing else.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected an expression (text such as 'sin(pi*x)' or a number), found {value!r}")
    if not isinstance(value, str) and not math.isfinite(value):
        raise ValueError(f"expected a finite number or an expression, found {value!r}")
    return value if isinstance(value, str) else float(value)


Expr = Annotated[Any, BeforeValidator(expression_input)]
# Samples per step. The cap is far above any useful batch: a typo such as 1e12 is refused here,
# not found by the allocator after the model is built.
PointCount = Annotated[int, Field(ge=1, le=10_000_000)]
PositiveFloat = Annotated[float, Field(gt=0)]
GridCount = Annotated[int, Field(ge=2)]
Weight = Annotated[float, Field(ge=0)]
Vector = list[float]


class TermSection(Section):
    """A section that adds a term to the loss: ``points`` drawn per step, ``weight`` in the total.

    A family's section overrides the default count (``points: PointCount = 2000``) where it differs.
    """

    points: PointCount = 1000
    weight: Weight = 1.0


class GriddedNode(Section):
    """Samples of a coefficient on a regular grid spanning lo..hi, in a .npy or .h5 file, interpolated
    ``nearest``, ``linear`` (multilinear: the default) or ``cubic`` between the nodes."""

    file: str
    dataset: str | None = None
    lo: Vector
    hi: Vector
    interpolation: Interpolation = "linear"


def _medium_input(value: Any) -> Any:
    return value if isinstance(value, dict) else expression_input(value)


Medium = Annotated[GriddedNode | Expr, BeforeValidator(_medium_input)]
"""A coefficient such as a squared slowness: an expression, a number, or ``{file:, lo:, hi:}``."""


def reference_input(numerical: str, names: tuple[str, ...]):
    """A `reference:` pre-validator: ``numerical`` or ``{numerical: null}`` means ``{numerical: {}}``
    (its options at their defaults); one of ``names``, or a mapping, passes on to the schema."""

    def parse(value: Any) -> Any:
        bare = isinstance(value, dict) and numerical in value and value[numerical] is None
        if value == numerical or bare:
            return {numerical: {}}
        if isinstance(value, dict) or value in names:
            return value
        raise ValueError(f"unknown reference {value!r}; expected one of: {', '.join((*names, numerical))}"
                         f" (or {{{numerical}: {{resolution: N}}}})")

    return parse
