"""Safe compiler for user-written regression formulas such as ``a * sin(b * x + c)``.

The text is parsed with :func:`ast.parse`, checked against a whitelist of node types and
turned into a tree of closures that call torch operations. User text is never executed.
"""

from __future__ import annotations

import ast
import math
import warnings
from typing import Callable, Mapping, Sequence

import torch

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_FORMULA_LENGTH", "CompiledFormula", "FormulaError",
           "compile_formula", "describe_allowed"]

MAX_FORMULA_LENGTH = 300
MAX_NODES = 200
MAX_DEPTH = 50
MAX_EXPONENT = 16
MAX_LITERAL = 1e6

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp,
    "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid, "sinh": torch.sinh, "cosh": torch.cosh,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_BINARY_OPS = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul,
               ast.Div: torch.div, ast.Pow: torch.pow}
_OP_SYMBOLS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&",
               ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
               ast.Invert: "~", ast.Not: "not", ast.And: "and", ast.Or: "or"}
_SPECIAL_NODES = {ast.Lambda: "lambda", ast.IfExp: "conditional expression",
                  ast.NamedExpr: "assignment expression ':='", ast.JoinedStr: "f-string",
                  ast.ListComp: "comprehension", ast.SetComp: "comprehension",
                  ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
                  ast.List: "list", ast.Tuple: "tuple", ast.Set: "set", ast.Dict: "dict",
                  ast.Starred: "'*' unpacking"}

_Node = Callable[[torch.Tensor, Mapping[str, torch.Tensor]], torch.Tensor]


class FormulaError(ValueError):
    """Raised for any refused or invalid formula."""

    def __init__(self, message: str, column: int | None = None, text: str = "") -> None:
        self.message, self.column, self.text = message, column, text
        super().__init__(message if column is None else f"column {column}: {message}")


def describe_allowed() -> str:
    """A human-readable summary of the formula language, for tooltips."""
    return (f"Use x, the declared parameters, constants {', '.join(CONSTANTS)}, numbers, "
            f"+ - * / ** (literal exponents at most {MAX_EXPONENT}), parentheses and the "
            f"functions {', '.join(FUNCTIONS)} (one argument each). "
            f"At most {MAX_FORMULA_LENGTH} characters.")


class CompiledFormula:
    """A checked formula; call it with ``x`` and a mapping of parameter tensors."""

    def __init__(self, text: str, parameters: tuple[str, ...], used: frozenset[str],
                 fn: _Node) -> None:
        self.text, self.parameters, self.used_parameters, self._fn = text, parameters, used, fn

    def __call__(self, x: torch.Tensor, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        xc = x.to(dtype)
        values = {}
        for name in self.used_parameters:
            if name not in params:
                raise KeyError(f"missing value for parameter {name!r}")
            values[name] = torch.as_tensor(params[name], dtype=dtype, device=x.device)
        out = self._fn(xc, values)
        if out.shape != x.shape:
            try:
                out = out.expand(x.shape).contiguous()
            except RuntimeError as err:
                raise ValueError(f"formula {self.text!r}: result shape {tuple(out.shape)} "
                                 f"does not broadcast to x's shape {tuple(x.shape)}") from err
        return out.to(x.dtype)

    def __repr__(self) -> str:
        return f"CompiledFormula({self.text!r}, parameters={self.parameters!r})"

def compile_formula(text: str, parameters: Sequence[str]) -> CompiledFormula:
    """Check ``text`` against the whitelist and compile it; raise FormulaError if refused."""
    params = _check_parameters(parameters)
    if not isinstance(text, str):
        raise FormulaError(f"formula must be a string, not {type(text).__name__}")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long "
                           f"(at most {MAX_FORMULA_LENGTH})", text=text)
    if not text.strip():
        raise FormulaError("formula is empty", text=text)
    for i, ch in enumerate(text):
        if not ch.isprintable():
            raise FormulaError(f"non-printable character {ch!r} is not allowed", i + 1, text)
        if ch == "#":
            raise FormulaError("comments ('#') are not allowed", i + 1, text)
    indent = len(text) - len(text.lstrip())
    try:
        with warnings.catch_warnings():  # e.g. "SyntaxWarning: 'int' object is not callable" for 5(x)
            warnings.simplefilter("ignore")
            tree = ast.parse(text[indent:], mode="eval")
    except SyntaxError as err:
        column = indent + err.offset if err.offset else len(text) + 1
        raise FormulaError(err.msg or "invalid syntax", column, text) from None
    except Exception as err:  # ValueError, RecursionError, MemoryError, ...
        raise FormulaError(f"cannot parse formula ({type(err).__name__})", text=text) from None
    compiler = _Compiler(text, indent, params)
    compiler.check_size(tree.body)
    fn = compiler.build(tree.body)
    _check_paren_depth(text)
    return CompiledFormula(text, params, frozenset(compiler.used), fn)


def _check_parameters(parameters: Sequence[str]) -> tuple[str, ...]:
    if isinstance(parameters, str):
        raise FormulaError("parameters must be a sequence of names, not a string")
    names = tuple(parameters)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise FormulaError(f"parameter name {name!r} is not a valid identifier")
        if name == "x" or name in FUNCTIONS or name in CONSTANTS:
            raise FormulaError(f"parameter name {name!r} is reserved")
        try:  # keywords, True/None and names that Unicode-normalise to another name
            node = ast.parse(name, mode="eval").body
        except SyntaxError:
            node = None
        if not isinstance(node, ast.Name) or node.id != name:
            raise FormulaError(f"parameter name {name!r} cannot be used as a name")
    if len(set(names)) != len(names):
        raise FormulaError(f"parameter names must be unique: {list(names)}")
    return names


def _check_paren_depth(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_DEPTH:
            raise FormulaError(f"parentheses nested deeper than {MAX_DEPTH}", i + 1, text)


def _literal_value(node: ast.AST) -> float | None:
    """The value of an expression made only of numbers, pi, e, unary signs and + - * / **
    (constant-folded, so ``4*4*4`` is seen as 64); None for anything else or on overflow."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal_value(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPS:
        left, right = _literal_value(node.left), _literal_value(node.right)
        if left is None or right is None:
            return None
        try:
            value = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}.get(type(node.op))
            if value is None:
                value = left / right if isinstance(node.op, ast.Div) else left ** min(right, 4096.0)
        except (ZeroDivisionError, OverflowError):
            return math.inf
        return value if isinstance(value, float) else math.inf  # a complex power counts as too large
    return None


class _Compiler:
    def __init__(self, text: str, indent: int, params: tuple[str, ...]) -> None:
        self.text, self.indent, self.params, self.used = text, indent, params, set()
        self._source = text[indent:]

    def error(self, message: str, node: ast.AST) -> FormulaError:
        # col_offset counts UTF-8 bytes; report a 1-based character column.
        prefix = self._source.encode("utf-8")[: getattr(node, "col_offset", 0)]
        column = self.indent + len(prefix.decode("utf-8", errors="ignore")) + 1
        return FormulaError(message, column, self.text)

    def snippet(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self._source, node) or type(node).__name__
        return segment if len(segment) <= 40 else segment[:37] + "..."

    def check_size(self, root: ast.AST) -> None:
        count, stack = 0, [(root, 1)]
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > MAX_NODES:
                raise FormulaError(f"formula is too complex (more than {MAX_NODES} nodes)",
                                   text=self.text)
            if depth > MAX_DEPTH:
                raise self.error(f"formula is nested deeper than {MAX_DEPTH}", node)
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                         if isinstance(child, (ast.expr, ast.keyword)))

    def allowed_names(self) -> str:
        names = ", ".join(["x", *self.params, *CONSTANTS])
        return f"allowed: {names}, and functions {', '.join(FUNCTIONS)}"

    def build(self, node: ast.AST) -> _Node:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return lambda x, v: torch.neg(operand(x, v))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPS:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.error(self._refusal(node), node)

    def _refusal(self, node: ast.AST) -> str:
        part = self.snippet(node)
        if isinstance(node, ast.Attribute):
            return f"attribute access '.{node.attr}' is not allowed"
        if isinstance(node, ast.Subscript):
            return f"indexing '{part}' is not allowed"
        if isinstance(node, ast.Compare):
            return f"comparison '{part}' is not allowed"
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp)):
            symbol = _OP_SYMBOLS.get(type(node.op), type(node.op).__name__)
            return f"operator '{symbol}' in '{part}' is not allowed; use + - * / **"
        if type(node) in _SPECIAL_NODES:
            return f"{_SPECIAL_NODES[type(node)]} '{part}' is not allowed"
        return f"'{type(node).__name__}' is not allowed"

    def _constant(self, node: ast.Constant) -> _Node:
        value = node.value
        if type(value) not in (int, float):
            kind = {str: "string", bytes: "bytes", bool: "boolean", complex: "complex"}.get(
                type(value), "constant")
            raise self.error(f"{kind} literal {self.snippet(node)} is not allowed", node)
        if not abs(value) <= MAX_LITERAL:
            raise self.error(f"number {self.snippet(node)} is too large "
                             f"(at most {MAX_LITERAL:g} in absolute value)", node)
        number = float(value)
        return lambda x, v: x.new_full((), number)

    def _name(self, node: ast.Name) -> _Node:
        name = node.id
        if name == "x":
            return lambda x, v: x
        if name in self.params:
            self.used.add(name)
            return lambda x, v: v[name]
        if name in CONSTANTS:
            number = CONSTANTS[name]
            return lambda x, v: x.new_full((), number)
        if name in FUNCTIONS:
            raise self.error(f"function '{name}' must be called, e.g. {name}(x)", node)
        raise self.error(f"unknown name '{name}'; {self.allowed_names()}", node)

    def _binary(self, node: ast.BinOp) -> _Node:
        left, op = self.build(node.left), _BINARY_OPS[type(node.op)]
        exponent = _literal_value(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None:
            if abs(exponent) > MAX_EXPONENT:
                raise self.error(f"exponent {self.snippet(node.right)} is too large "
                                 f"(at most {MAX_EXPONENT})", node.right)
            self.build(node.right)  # still validates the literal itself
            power = int(exponent) if float(exponent).is_integer() else float(exponent)
            return lambda x, v: torch.pow(left(x, v), power)
        right = self.build(node.right)
        return lambda x, v: op(left(x, v), right(x, v))

    def _call(self, node: ast.Call) -> _Node:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            raise self.error(f"calling '{self.snippet(func)}' is not allowed; "
                             f"functions: {', '.join(FUNCTIONS)}", node)
        if node.keywords:
            keyword = node.keywords[0]
            label = f"'{keyword.arg}='" if keyword.arg else "'**'"
            raise self.error(f"keyword argument {label} is not allowed in {func.id}()",
                             keyword)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(f"'*' unpacking is not allowed in {func.id}()", arg)
        if len(node.args) != 1:
            raise self.error(f"{func.id}() takes exactly 1 argument "
                             f"({len(node.args)} given)", node)
        argument, function = self.build(node.args[0]), FUNCTIONS[func.id]
        return lambda x, v: function(argument(x, v))
