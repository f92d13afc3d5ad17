"""Compile user-written formulas such as ``sin(pi*x)*cos(2*pi*y)`` into torch callables.

The text comes from problem files, so it is untrusted. It is parsed with :func:`ast.parse` within
size limits, and only a whitelist of node types becomes small closures over torch operations
(:mod:`.builders`): nothing the user wrote is ever run as Python. Integer literals become floats
at compile time and no arithmetic is done in Python: the parts without variables are computed once,
by torch in float64, so ``9**9**9`` is a float power that overflows to ``inf`` at once (and is
refused, like ``log(0)``) instead of a hang.
"""

from __future__ import annotations

import ast
import keyword
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from .builders import as_float, build
from .errors import ExpressionError, error
from .scope import Ctx, Fn, Quantity, Scope, constant
from .vocabulary import CONSTANTS, FUNCTIONS, VECTOR_NORM

__all__ = ["Expression", "ExpressionError", "compile_expression"]

# Generous for any formula a person types; small enough that compiling is always instant and the
# recursive builders stay far from Python's recursion limit.
_MAX_LENGTH = 2000
_MAX_NODES = 500
_MAX_DEPTH = 64
_DEPTH_EXPECTED = f"at most {_MAX_DEPTH} levels of nesting"


def _parse(text: str) -> ast.expr:
    """Parse with the size limits checked before and after, so nothing downstream can blow up."""
    if not text:
        raise ExpressionError(text, "empty expression; expected a formula such as sin(pi*x)")
    if len(text) > _MAX_LENGTH:
        raise error(text, f"{len(text)} characters", f"at most {_MAX_LENGTH}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes in a string we reject anyway
            tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        where = f" at line {err.lineno}, column {err.offset}" if err.lineno else ""
        raise error(text, f"syntax error{where}: {err.msg}", "a formula like sin(pi*x)") from err
    except (RecursionError, MemoryError) as err:
        raise error(text, "expression too deeply nested", _DEPTH_EXPECTED) from err
    except ValueError as err:  # null bytes, lone surrogates
        raise error(text, f"unreadable text ({err})", "printable characters") from err
    _check_size(tree.body, text)
    return tree.body


def _check_size(root: ast.expr, text: str) -> None:
    """Count sub-expressions and their depth without recursion: a deep tree is the threat."""
    count, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > _MAX_NODES:
            raise error(text, f"more than {_MAX_NODES} terms", f"at most {_MAX_NODES}")
        if depth > _MAX_DEPTH:
            raise error(text, "expression too deeply nested", _DEPTH_EXPECTED)
        children = ast.iter_child_nodes(node)
        stack.extend((child, depth + 1) for child in children if isinstance(child, ast.expr))


def _check_names(names: tuple[str, ...], text: str, operators: frozenset[str] = frozenset()) -> None:
    # The names are not in the text, so the message does not quote it.
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(text, f"variable name {name!r}; expected identifiers like x, y, t")
        if name in CONSTANTS or name in FUNCTIONS or name in operators or (operators and name == VECTOR_NORM):
            raise ExpressionError(text, f"variable name '{name}' shadows a built-in; expected another name")
    if len(set(names)) != len(names):
        raise ExpressionError(text, f"repeated variable names {names}; expected distinct names")


def _context(env: Mapping[str, torch.Tensor]) -> Ctx:
    first = next(iter(env.values()), None)
    if first is None:
        return Ctx(env, torch.float64, torch.device("cpu"))
    if first.is_complex():
        return Ctx(env, first.dtype.to_real(), first.device)  # real constants stay real
    return Ctx(env, first.dtype if first.is_floating_point() else torch.float64, first.device)


@dataclass(frozen=True)
class Expression:
    """A compiled formula; call it with a mapping from variable names to tensors.

    Attributes:
        text: The formula as the user wrote it.
        names: The variables it may use, as passed to :func:`compile_expression`.
    """

    text: str
    names: tuple[str, ...]
    _fn: Fn = field(repr=False, compare=False)
    _used: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    _complex: bool = field(default=False, repr=False, compare=False)
    _quantities: tuple[Quantity, ...] = field(default=(), repr=False, compare=False)

    @property
    def used_names(self) -> frozenset[str]:
        """The variables the formula actually refers to."""
        return self._used

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        """The derivative operators it applies, each once, in order of appearance."""
        return self._quantities

    @property
    def used_quantities(self) -> frozenset[str]:
        """The derivative operators it applies, by their text (``"dx(u)"``, ``"lap(u)"``,
        ``"norm(grad(u))"``): the caller passes each one's values under that key."""
        return frozenset(q.text for q in self._quantities)

    @property
    def is_complex(self) -> bool:
        """Whether the formula contains a complex literal such as ``2j``."""
        return self._complex

    @property
    def smooth(self) -> bool:
        """Whether the formula has no kink or jump of its own making: none of ``abs``, ``sign``,
        ``floor``, ``min``, ``where``, comparisons, ``and``/``or``, ``%`` and the like. (Where it is
        finite, a smooth formula is then infinitely differentiable.)"""
        try:
            tree = _parse(self.text)
        except ExpressionError:  # a number's text such as 'nan'
            return True
        return not any(_kinked(node) for node in ast.walk(tree))

    def __call__(self, env: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Evaluate the formula on a batch of points.

        Args:
            env: Maps each used variable to a tensor of shape (N,); all share N, dtype and device.

        Returns:
            Shape (N,), the inputs' dtype and device (complex if the formula has a complex
            literal, bool if it is a comparison); with an empty ``env``, a 0-d float64 tensor.

        Raises:
            ExpressionError: A used variable is missing, or torch rejects an operation on these
                inputs (``x < 1j``, ``floor`` of a complex number).
        """
        try:
            value = self._fn(_context(env))
        except torch.cuda.OutOfMemoryError:
            raise  # a resource problem, not a fault of the formula
        except RuntimeError as err:
            found = f"cannot evaluate: {(str(err).splitlines() or [type(err).__name__])[0]}"
            raise error(self.text, found, "operations defined for these inputs") from err
        first = next(iter(env.values()), None)
        if first is not None and value.dim() == 0:
            # A constant formula still gives one value per point; clone so callers may write to it.
            return value.expand(first.shape).clone()
        return value


_KINKED_FUNCTIONS = frozenset({"abs", "sign", "floor", "ceil", "heaviside", "min", "max", "where", "angle"})


def _kinked(node: ast.AST) -> bool:
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return isinstance(node.op, (ast.Mod, ast.Not))
    called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return called and node.func.id in _KINKED_FUNCTIONS


def compile_expression(
    text: str | int | float, names: Sequence[str], operators: Iterable[str] = (), operands: Sequence[str] = ()
) -> Expression:
    """Compile a user formula, such as ``sin(pi*x)*cos(2*pi*y)``, without executing it.

    Allowed: numbers (``2``, ``0.5``, ``1e-3``, ``2j``), the variables in ``names``, the constants
    ``pi`` and ``e``, ``+ - * / ** %``, comparisons (chains too), ``and or not``, parentheses and
    calls with positional arguments of the functions in ``FUNCTIONS``; and, when given, the
    ``operators`` applied to one of the ``operands`` (``dx(u)``; ``grad`` only as ``norm(grad(u))``).

    Args:
        text: The formula, surrounding whitespace ignored; a number (as YAML gives
            ``value: 0``) is a constant.
        names: The variables the formula may use, e.g. ``("x", "y")``.
        operators: Names of derivative operators, e.g. ``("dx", "dxx", "lap", "grad")``; a call
            ``op(u)`` becomes the input named ``"op(u)"`` (see :attr:`Expression.used_quantities`).
        operands: The names operators apply to (the fields), among ``names``.

    Returns:
        The compiled :class:`Expression`.

    Raises:
        ExpressionError: For anything else, naming the offending token.
    """
    names = tuple(names)
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise error(repr(text), f"a {type(text).__name__}", "a formula string or a number")
    operators = frozenset(operators)
    _check_names(names, str(text), operators)
    if not set(operands) <= set(names):
        raise ValueError(f"operands {sorted(set(operands) - set(names))} are not among the names")
    if not isinstance(text, str):
        # No parsing: str(nan) or str(inf) would not even parse back.
        return Expression(str(text), names, constant(as_float(text, str(text))))
    text = text.strip()  # a leading space would be an "unexpected indent" to the parser
    scope = Scope(text, names, operators, tuple(operands))
    fn = build(_parse(text), scope)
    quantities = tuple(scope.quantities.values())
    return Expression(text, names, fn, frozenset(scope.used), scope.has_complex, quantities)
