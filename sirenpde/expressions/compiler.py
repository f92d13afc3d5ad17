"""Compile user-written formulas such as ``sin(pi*x)*cos(2*pi*y)`` into torch callables.

The text comes from problem files, so it is untrusted. It is parsed with :func:`ast.parse` and only
a whitelist of node types becomes small closures over torch operations: nothing the user wrote is
ever run as Python. Integer literals become floats at compile time and no arithmetic is done in
Python: the parts without variables are computed once, by torch in float64, so ``9**9**9`` is a float
power that overflows to ``inf`` at once (and is refused, like ``log(0)``) instead of a hang.
"""

from __future__ import annotations

import ast
import functools
import keyword
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch

from .vocabulary import BINARY_OPS, BOOL_OPS, COMPARISONS, CONSTANTS, FUNCTIONS, KINDS, SYMBOLS, UNARY_OPS

# Generous for any formula a person types; small enough that compiling is always instant and the
# recursive builders below stay far from Python's recursion limit.
_MAX_LENGTH = 2000
_MAX_NODES = 500
_MAX_DEPTH = 64
_DEPTH_EXPECTED = f"at most {_MAX_DEPTH} levels of nesting"


class ExpressionError(ValueError):
    """A user expression that cannot be compiled or evaluated.

    Attributes:
        text: The expression as the user wrote it.
        message: One line naming the offending token, what was expected and what was found.
    """

    def __init__(self, text: str, message: str) -> None:
        super().__init__(text, message)  # both in args, so the error survives pickling
        self.text = text
        self.message = message

    def __str__(self) -> str:
        return self.message


class _Ctx(NamedTuple):
    """One evaluation: the inputs, and the real dtype and device that constants are made in."""

    env: Mapping[str, torch.Tensor]
    dtype: torch.dtype
    device: torch.device


_Fn = Callable[[_Ctx], torch.Tensor]
_FOLDING = _Ctx({}, torch.float64, torch.device("cpu"))  # where constant parts are computed


def _shown(text: str, limit: int = 60) -> str:
    """Quote (part of) a text for a one-line message; repr escapes any newline."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _error(text: str, found: str, expected: str) -> ExpressionError:
    return ExpressionError(text, f"{found} in {_shown(text)}; expected {expected}")


@dataclass
class _Scope:
    """What compiling one expression knows and records along the way."""

    text: str
    names: tuple[str, ...]
    operators: frozenset[str] = frozenset()
    operands: tuple[str, ...] = ()
    used: set[str] = field(default_factory=set)
    quantities: set[str] = field(default_factory=set)
    has_complex: bool = False
    reads: int = 0  # variable references compiled so far

    def build(self, node: ast.AST) -> _Fn:
        builder = _BUILDERS.get(type(node))
        if builder is None:
            expected = "numbers, variables, operators and calls like sin(x)"
            raise _error(self.text, f"{self.describe(node)} is not allowed", expected)
        reads = self.reads
        fn = builder(node, self)
        return fn if self.reads > reads else self.fold(node, fn)

    def fold(self, node: ast.AST, fn: _Fn) -> _Fn:
        """A part without variables, computed once now, so that one that overflows or is undefined
        (``9**9**9``, ``1e400``, ``log(0)``) is refused here rather than trained on as inf or NaN."""
        try:
            value = fn(_FOLDING)
        except RuntimeError as err:
            found = f"cannot evaluate {self.segment(node)}: {(str(err).splitlines() or ['?'])[0]}"
            raise _error(self.text, found, "operations defined for these inputs") from err
        if value.dtype != torch.bool and not bool(torch.isfinite(value)):
            found = f"constant {self.segment(node)} evaluates to {value.item()}"
            raise _error(self.text, found, "a finite number (it overflows or is undefined)")
        return _fixed(value)

    def describe(self, node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f"attribute access '.{node.attr}'"
        return f"{KINDS.get(type(node), type(node).__name__.lower())} {self.segment(node)}"

    def segment(self, node: ast.AST) -> str:
        return _shown(ast.get_source_segment(self.text, node) or "")


def _num(value: torch.Tensor, ctx: _Ctx) -> torch.Tensor:
    # Comparisons give bool tensors; arithmetic on them follows Python (True - True == 0).
    return value.to(ctx.dtype) if value.dtype == torch.bool else value


def _constant(value: float | complex) -> _Fn:
    # torch.full, not torch.tensor: on a GPU it is a fill kernel rather than a host-to-device copy.
    if isinstance(value, complex):
        return lambda ctx: torch.full((), value, dtype=ctx.dtype.to_complex(), device=ctx.device)
    return lambda ctx: torch.full((), value, dtype=ctx.dtype, device=ctx.device)


def _fixed(value: torch.Tensor) -> _Fn:
    """A computed constant, made again in each evaluation's dtype and device."""
    if value.dtype == torch.bool:
        flag = bool(value)
        return lambda ctx: torch.full((), flag, dtype=torch.bool, device=ctx.device)
    return _constant(value.item())


def _as_float(value: int | float, text: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise _error(text, f"number {_shown(str(value))}", "at most about 1.8e308") from None


def _build_constant(node: ast.Constant, scope: _Scope) -> _Fn:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
        raise _error(scope.text, f"literal {scope.segment(node)} is not allowed", "a number")
    if isinstance(value, complex):
        scope.has_complex = True
        return _constant(value)
    return _constant(_as_float(value, scope.text))


def _build_name(node: ast.Name, scope: _Scope) -> _Fn:
    name, text = node.id, scope.text
    if name in CONSTANTS:
        return _constant(CONSTANTS[name])
    if name in FUNCTIONS:
        raise _error(text, f"function '{name}' without arguments", f"a call like {name}(x)")
    if name not in scope.names:
        expected = f"one of: {', '.join((*scope.names, *CONSTANTS))}"
        raise _error(text, f"unknown name '{name}'", expected)
    scope.used.add(name)
    scope.reads += 1

    def variable(ctx: _Ctx) -> torch.Tensor:
        if name not in ctx.env:
            given = ", ".join(ctx.env) or "nothing"
            raise _error(text, f"variable '{name}' missing from the inputs", f"it among: {given}")
        return ctx.env[name]

    return variable


def _operator(op: ast.AST, table: Mapping[type, Callable], scope: _Scope) -> Callable:
    fn = table.get(type(op))
    if fn is None:
        symbol = SYMBOLS.get(type(op), type(op).__name__)
        expected = f"one of: {' '.join(SYMBOLS[kind] for kind in table)}"
        raise _error(scope.text, f"operator '{symbol}' is not allowed", expected)
    return fn


def _build_unary(node: ast.UnaryOp, scope: _Scope) -> _Fn:
    fn, operand = _operator(node.op, UNARY_OPS, scope), scope.build(node.operand)
    return lambda ctx: fn(_num(operand(ctx), ctx))


def _build_binary(node: ast.BinOp, scope: _Scope) -> _Fn:
    fn = _operator(node.op, BINARY_OPS, scope)
    left, right = scope.build(node.left), scope.build(node.right)
    return lambda ctx: fn(_num(left(ctx), ctx), _num(right(ctx), ctx))


def _build_bool(node: ast.BoolOp, scope: _Scope) -> _Fn:
    fn = _operator(node.op, BOOL_OPS, scope)
    operands = [scope.build(value) for value in node.values]
    return lambda ctx: functools.reduce(fn, [operand(ctx) for operand in operands])


def _build_compare(node: ast.Compare, scope: _Scope) -> _Fn:
    """``a < b <= c`` means ``(a < b) and (b <= c)``, with ``b`` evaluated once."""
    fns = [_operator(op, COMPARISONS, scope) for op in node.ops]
    operands = [scope.build(value) for value in (node.left, *node.comparators)]

    def compare(ctx: _Ctx) -> torch.Tensor:
        values = [_num(operand(ctx), ctx) for operand in operands]
        tests = [fn(a, b) for fn, a, b in zip(fns, values[:-1], values[1:], strict=True)]
        return functools.reduce(torch.logical_and, tests)

    return compare


def _build_call(node: ast.Call, scope: _Scope) -> _Fn:
    func, text = node.func, scope.text
    # `(sin)(x)` parses like `sin(x)`; only the positions tell the parentheses apart.
    if not isinstance(func, ast.Name) or func.col_offset != node.col_offset:
        if not isinstance(func, ast.Name):
            scope.build(func)  # a forbidden callee such as `os.system` makes the clearer message
        found = f"call of a computed function {scope.segment(node)}"
        raise _error(text, found, "a function name followed by arguments, like sin(x)")
    if func.id in scope.operators or (func.id == VECTOR_NORM and _is_gradient(node, scope)):
        return _build_quantity(node, scope)
    if func.id not in FUNCTIONS:
        expected = f"one of: {', '.join(sorted((*FUNCTIONS, *scope.operators)))}"
        raise _error(text, f"'{func.id}' is not an allowed function", expected)
    if node.keywords:
        found = f"keyword argument {scope.segment(node.keywords[0])} of '{func.id}'"
        raise _error(text, found, "positional arguments only")
    args = [scope.build(arg) for arg in node.args]
    arity, fn = FUNCTIONS[func.id]
    if len(args) != arity:
        found = f"'{func.id}' takes {arity} argument{'s' * (arity > 1)}, found {len(args)}"
        raise _error(text, found, f"a call like {func.id}({', '.join('abc'[:arity])})")
    return lambda ctx: fn(*[_num(arg(ctx), ctx) for arg in args])


VECTOR_NORM = "norm"
VECTOR_OPERATOR = "grad"  # the one operator whose value is a vector: usable only as norm(grad(u))


def _is_gradient(node: ast.Call, scope: _Scope) -> bool:
    arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
    return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == VECTOR_OPERATOR
            and VECTOR_OPERATOR in scope.operators)


def _build_quantity(node: ast.Call, scope: _Scope) -> _Fn:
    """``dx(u)``, ``lap(u)``, ``norm(grad(u))``: a derivative of a field, read from the inputs under
    its own text, which the caller computes (see :attr:`Expression.used_quantities`)."""
    op = node.func.id
    if op == VECTOR_NORM:  # norm(grad(u)), recognised by _is_gradient
        key = f"{VECTOR_NORM}({_field_key(node.args[0], scope)})"
    elif op == VECTOR_OPERATOR:
        found = f"{scope.segment(node)}, a vector,"
        expected = "its length norm(grad(u)), or a component such as dx(u)"
        raise _error(scope.text, f"{found} used as a number", expected)
    else:
        key = _field_key(node, scope)
    scope.quantities.add(key)
    scope.reads += 1
    return _reader(key, scope.text)


def _field_key(node: ast.Call, scope: _Scope) -> str:
    """``op(u)`` for an operator applied to one field name; anything else is refused."""
    op, operands = node.func.id, ", ".join(scope.operands) or "none"
    if node.keywords or len(node.args) != 1:
        found = f"'{op}' takes one field, found {scope.segment(node)}"
        raise _error(scope.text, found, f"a call like {op}(u)")
    arg = node.args[0]
    if not isinstance(arg, ast.Name) or arg.id not in scope.operands:
        expected = f"{op} of a field ({operands}), like {op}(u)"
        raise _error(scope.text, f"{op} of {scope.segment(arg)}", expected)
    return f"{op}({arg.id})"


def _reader(key: str, text: str) -> _Fn:
    def quantity(ctx: _Ctx) -> torch.Tensor:
        if key not in ctx.env:
            raise _error(text, f"{key} missing from the inputs", "the caller to compute it")
        return ctx.env[key]

    return quantity


_BUILDERS: dict[type[ast.AST], Callable[[Any, _Scope], _Fn]] = {
    ast.Constant: _build_constant, ast.Name: _build_name, ast.UnaryOp: _build_unary,
    ast.BinOp: _build_binary, ast.BoolOp: _build_bool, ast.Compare: _build_compare,
    ast.Call: _build_call,
}  # fmt: skip


def _parse(text: str) -> ast.expr:
    """Parse with the size limits checked before and after, so nothing downstream can blow up."""
    if not text:
        raise ExpressionError(text, "empty expression; expected a formula such as sin(pi*x)")
    if len(text) > _MAX_LENGTH:
        raise _error(text, f"{len(text)} characters", f"at most {_MAX_LENGTH}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes in a string we reject anyway
            tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        where = f" at line {err.lineno}, column {err.offset}" if err.lineno else ""
        raise _error(text, f"syntax error{where}: {err.msg}", "a formula like sin(pi*x)") from err
    except (RecursionError, MemoryError) as err:
        raise _error(text, "expression too deeply nested", _DEPTH_EXPECTED) from err
    except ValueError as err:  # null bytes, lone surrogates
        raise _error(text, f"unreadable text ({err})", "printable characters") from err
    _check_size(tree.body, text)
    return tree.body


def _check_size(root: ast.expr, text: str) -> None:
    """Count sub-expressions and their depth without recursion: a deep tree is the threat."""
    count, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > _MAX_NODES:
            raise _error(text, f"more than {_MAX_NODES} terms", f"at most {_MAX_NODES}")
        if depth > _MAX_DEPTH:
            raise _error(text, "expression too deeply nested", _DEPTH_EXPECTED)
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


def _context(env: Mapping[str, torch.Tensor]) -> _Ctx:
    first = next(iter(env.values()), None)
    if first is None:
        return _Ctx(env, torch.float64, torch.device("cpu"))
    if first.is_complex():
        return _Ctx(env, first.dtype.to_real(), first.device)  # real constants stay real
    return _Ctx(env, first.dtype if first.is_floating_point() else torch.float64, first.device)


@dataclass(frozen=True)
class Expression:
    """A compiled formula; call it with a mapping from variable names to tensors.

    Attributes:
        text: The formula as the user wrote it.
        names: The variables it may use, as passed to :func:`compile_expression`.
    """

    text: str
    names: tuple[str, ...]
    _fn: _Fn = field(repr=False, compare=False)
    _used: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    _complex: bool = field(default=False, repr=False, compare=False)
    _quantities: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def used_names(self) -> frozenset[str]:
        """The variables the formula actually refers to."""
        return self._used

    @property
    def used_quantities(self) -> frozenset[str]:
        """The derivative operators it applies, by their text (``"dx(u)"``, ``"lap(u)"``,
        ``"norm(grad(u))"``): the caller passes each one's values under that key."""
        return self._quantities

    @property
    def is_complex(self) -> bool:
        """Whether the formula contains a complex literal such as ``2j``."""
        return self._complex

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
            raise _error(self.text, found, "operations defined for these inputs") from err
        first = next(iter(env.values()), None)
        if first is not None and value.dim() == 0:
            # A constant formula still gives one value per point; clone so callers may write to it.
            return value.expand(first.shape).clone()
        return value


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
        raise _error(repr(text), f"a {type(text).__name__}", "a formula string or a number")
    operators = frozenset(operators)
    _check_names(names, str(text), operators)
    if not set(operands) <= set(names):
        raise ValueError(f"operands {sorted(set(operands) - set(names))} are not among the names")
    if not isinstance(text, str):
        # No parsing: str(nan) or str(inf) would not even parse back.
        return Expression(str(text), names, _constant(_as_float(text, str(text))))
    text = text.strip()  # a leading space would be an "unexpected indent" to the parser
    scope = _Scope(text, names, operators, tuple(operands))
    fn = scope.build(_parse(text))
    return Expression(text, names, fn, frozenset(scope.used), scope.has_complex, frozenset(scope.quantities))
