"""Property tests on hostile input: the expression compiler and the problem-file loader either
succeed or raise the package's own error — never another exception, never a hang, never user code run.

The budgets are fixed (``derandomize=True``) so that CI sees the same examples every run.
"""

from __future__ import annotations

import builtins
import contextlib
import string
import sys
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sirenpde as sp
from sirenpde.expressions.compiler import Expression, ExpressionError, compile_expression

NAMES = ("x", "y")
POINTS = {"x": torch.tensor([-1.0, 0.0, 0.5, 2.0]), "y": torch.tensor([1.0, -2.0, 0.0, 3.0])}
CI = settings(max_examples=200, deadline=2000, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class CodeRan(BaseException):
    """Raised by the guarded builtins; a BaseException, so no ``except Exception`` can hide it."""


# torch imports itself inside some operations (``import torch`` of a loaded module is a lookup);
# anything else — a module not loaded yet, or one that reaches the system — means code ran.
SYSTEM_MODULES = {"os", "sys", "subprocess", "builtins", "shutil", "importlib", "socket", "ctypes",
                  "pickle", "io", "pathlib", "posix", "signal", "code", "runpy"}


@contextlib.contextmanager
def no_code_execution(imports: bool = True):
    """``eval`` and ``exec`` raise, ``compile`` may only parse; with ``imports``, ``open`` raises and
    so does ``__import__`` of a system module or of any module not loaded yet. (The loader itself
    imports lazily and reads data files, so it keeps those two.)"""
    real_compile, real_import = builtins.compile, builtins.__import__

    def refuse(*args, **kwargs):
        raise CodeRan(f"user input reached a builtin with {str(args[:1])[:80]}")

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & 0x400:  # ast.PyCF_ONLY_AST: anything else makes runnable code
            raise CodeRan(f"compile() to code on {str(source)[:80]}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def loaded_only(name, *args, **kwargs):
        if name.partition(".")[0] in SYSTEM_MODULES or name not in sys.modules:
            raise CodeRan(f"import of {name!r}")
        return real_import(name, *args, **kwargs)

    guards = {"eval": refuse, "exec": refuse, "compile": parse_only}
    if imports:
        guards.update({"open": refuse, "__import__": loaded_only})
    saved = {name: getattr(builtins, name) for name in guards}
    for name, guard in guards.items():
        setattr(builtins, name, guard)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(builtins, name, value)


def compile_and_run(text: str) -> None:
    """Compile ``text`` and, if that works, evaluate it: an Expression and a tensor, or ExpressionError."""
    with no_code_execution():
        try:
            expression = compile_expression(text, NAMES)
        except ExpressionError as err:
            assert err.message and "\n" not in err.message
            return
        assert isinstance(expression, Expression)
        try:
            value = expression(POINTS)
        except ExpressionError:
            return
    assert isinstance(value, torch.Tensor) and value.shape == (4,)


def test_the_guard_catches_code_execution():
    with pytest.raises(CodeRan), no_code_execution():
        __import__("os")
    with pytest.raises(CodeRan), no_code_execution():
        open(__file__)
    with pytest.raises(CodeRan), no_code_execution():
        eval("1")
    with pytest.raises(CodeRan), no_code_execution():
        compile("1", "<test>", "eval")
    compile_and_run("sin(pi*x) + 1")  # warms up torch's lazy imports outside any example


# --- expressions ---------------------------------------------------------------------------------

TOKENS = (
    ["x", "y", "z", "t", "nx", "pi", "e", "π", "ｓｉｎ", "x̄", "True", "None", "...", "_"]
    + ["0", "1", "9", "2.5", ".5", "1e400", "1e-400", "0x1f", "1_000", "2j", "1e308", "10"]
    + ["sin", "cos", "exp", "log", "sqrt", "atan2", "where", "pow", "max", "heaviside", "real"]
    + ["__import__", "__class__", "__builtins__", "__globals__", "__subclasses__", "open", "eval"]
    + ["exec", "os", "system", "getattr", "globals", "breakpoint", "print", "vars"]
    + ["+", "-", "*", "/", "**", "%", "//", "@", "~", "&", "|", "^", "<<", "<", "<=", "==", "!="]
    + ["not", "and", "or", "is", "in", "if", "else", "for", "lambda", "import", "yield", "await"]
    + ["(", ")", "(", ")", ",", "[", "]", "{", "}", ".", ":", "=", ":=", "*", "**", ";", "\\"]
    + ["'", '"', "f'", "b'", "'''", "#", "\n", "\t", "\x00", "\u200b", "\ufeff", "𝑥"]
)


@CI
@given(st.text(max_size=300))
def test_arbitrary_text_compiles_or_is_refused(text):
    compile_and_run(text)


@CI
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from(["", " "]))
def test_token_soup_compiles_or_is_refused(tokens, separator):
    compile_and_run(separator.join(tokens))


LEAVES = st.sampled_from(["x", "y", "pi", "e", "1", "0", "9", "2.5", "1e400", "2j", "-1", "10**10",
                          "__import__", "__class__", "os", "open", "z", "sin", "'a'"])
UNARY = ["sin", "exp", "log", "sqrt", "acosh", "floor", "abs", "real", "conj", "gamma", "eval"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Python-like expressions around smaller ones: valid syntax, mostly, so the compiler's
    whitelist (not the parser) is what refuses them."""
    ops = st.sampled_from(["+", "-", "*", "/", "**", "%", "//", "<", "==", "and", "or", "@", "|"])
    return st.one_of(
        st.tuples(inner, ops, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "+", "not ", "~"]), inner).map("".join),
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["atan2", "where", "pow", "min", "sin", "__import__"]),
                  st.lists(inner, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, st.sampled_from(["__class__", "system", "real", "__globals__"]))
        .map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
        inner.map(lambda s: f"(lambda: {s})()"),
        inner.map(lambda s: f"[{s} for x in (1, 2)]"),
        inner.map(lambda s: f"(x := {s})"),
        inner.map(lambda s: f"f'{{{s}}}'"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map(lambda s: f"sin(x={s})"),
        inner.map(lambda s: f"9**9**9*{s}"),
    )


PYTHONLIKE = st.recursive(LEAVES, _grow, max_leaves=40)


@CI
@given(PYTHONLIKE)
def test_python_like_expressions_compile_or_are_refused(text):
    compile_and_run(text)


@CI
@given(st.integers(min_value=1, max_value=1000))
def test_deep_and_long_input_is_refused_quickly(n):
    for text in ("(" * n + "x" + ")" * n, "+".join(["x"] * (10 * n)), "sin(" * n + "x" + ")" * n,
                 "-" * n + "x", "x" + "**x" * n, "9" + "**9" * n):
        compile_and_run(text)


# --- problem files -------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["poisson", "helmholtz", "wave", "sdf", "eikonal", "box", "disk", "x", "sin(pi*x)",
                     "__import__('os')", "dirichlet", "boundary", "data/none.xyz", "/", ".", "..", ""]),
)
KEYS = st.one_of(
    st.sampled_from(["problem", "domain", "box", "disk", "ball", "polygon", "difference", "union",
                     "spacetime", "lo", "hi", "center", "radius", "vertices", "base", "holes", "space",
                     "t", "pde", "source", "points", "boundary", "type", "on", "value", "exact",
                     "model", "layers", "training", "steps", "output", "resolution", "axes", "cloud",
                     "initial", "k", "sources", "pml", "reference", "file", "lo", "hi", "speed"]),
    st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=10),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=6)),
    max_leaves=30,
)

VALID = {  # small valid files of each family, for mutation
    "poisson": {"problem": "poisson", "domain": {"box": {"lo": [0, 0], "hi": [1, 1]}},
                "pde": {"source": "sin(pi*x)", "points": 10},
                "boundary": [{"type": "dirichlet", "on": "boundary", "value": 0}],
                "exact": "x*y", "training": {"steps": 1}},
    "helmholtz": {"problem": "helmholtz", "domain": {"disk": {"center": [0, 0], "radius": 1}}, "k": 3,
                  "sources": [{"center": [0, 0], "amplitude": "1+1j", "sigma": 0.05}],
                  "boundary": [{"type": "sommerfeld"}]},
    "wave": {"problem": "wave",
             "domain": {"spacetime": {"space": {"box": {"lo": [0], "hi": [1]}}, "t": [0, 1]}},
             "initial": {"value": "sin(pi*x)"},
             "boundary": [{"type": "dirichlet", "value": 0}]},
    "eikonal": {"problem": "eikonal", "domain": {"box": {"lo": [0, 0], "hi": [2, 1]}},
                "source": [0.5, 0.5], "pde": {"speed": "1 + 0.5*y"}},
    "polygon": {"problem": "poisson",
                "domain": {"difference": {"base": {"polygon": {"vertices": [[0, 0], [2, 0], [0, 2]]}},
                                          "holes": [{"disk": {"center": [0.5, 0.5], "radius": 0.2}}]}}},
}


@st.composite
def mutated(draw) -> object:
    """A valid file with one value somewhere in it replaced, deleted, or given a new sibling key."""
    import copy

    doc = copy.deepcopy(VALID[draw(st.sampled_from(sorted(VALID)))])
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[key] = draw(DOCUMENTS)
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[draw(KEYS)] = draw(DOCUMENTS)
        else:
            node.append(draw(DOCUMENTS))
        break
    return doc


def load_or_refuse(folder: Path, text: str | bytes) -> None:
    """Load ``text`` from a file: a RunSpec, or a ConfigError of one line per mistake naming the file."""
    path = folder / "problem.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    with no_code_execution(imports=False):
        try:
            spec = sp.load_problem_file(path)
        except sp.ConfigError as err:
            lines = err.lines()
            assert lines and str(err) == "\n".join(lines)
            assert all("\n" not in line and str(path) in line for line in lines)
            return
    assert spec.problem.constraints


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder for the generated files; loading every seed first warms up lazy imports."""
    path = tmp_path_factory.mktemp("hostile-properties")
    for document in VALID.values():
        load_or_refuse(path, yaml.safe_dump(document))
    return path


@CI
@given(DOCUMENTS)
def test_arbitrary_documents_load_or_are_refused(folder, document):
    load_or_refuse(folder, yaml.safe_dump(document, allow_unicode=True))


@CI
@given(mutated())
def test_mutated_problem_files_load_or_are_refused(folder, document):
    load_or_refuse(folder, yaml.safe_dump(document, allow_unicode=True))


@CI
@given(st.text(max_size=300))
def test_arbitrary_text_files_load_or_are_refused(folder, text):
    load_or_refuse(folder, text)


@CI
@given(st.binary(max_size=300))
def test_arbitrary_bytes_load_or_are_refused(folder, data):
    load_or_refuse(folder, data)


@pytest.mark.parametrize("family", sorted(VALID))
def test_every_seed_file_is_valid(folder, family):
    sp.load_problem_text(yaml.safe_dump(VALID[family]), f"{family}.yaml")
