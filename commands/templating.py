"""Compiling and rendering message templates: Jinja2 in a read-only sandbox, with bounds.

A template is a client's code running inside the service, in requests and in the daily run, so
nothing it does may stop either. The sandbox refuses access to unsafe attributes (``__class__``,
functions' internals) and every method that changes a value (``dict.update``, ``list.append``);
``StrictUndefined`` makes a misspelt variable an error instead of an empty string. Each rendering
has a budget: calls nested at most ``MAX_DEPTH`` deep (a macro calling itself), at most
``MAX_STEPS`` loop iterations, at most ``MAX_PRODUCED`` characters produced in all (macro and
``set`` blocks included), no value and no text longer than ``MAX_OUTPUT``, and ``MAX_SECONDS`` of
the rendering thread's CPU time, looked at on every call, attribute, operator, loop step and piece
of output. Whatever goes
wrong while rendering is ``template_render_failed``, never an error of the service.

E-mail and SMS bodies are text (no escaping); letter bodies are HTML fragments, so the values put
into them are escaped."""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateRuntimeError, TemplateSyntaxError, nodes
from jinja2 import Template as Jinja
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import pass_context
from jinja2.visitor import NodeTransformer

from aggregates.errors import Invalid, conflict

MAX_OUTPUT = 100_000  # characters of a rendered text, and of any value made while rendering
MAX_PRODUCED = 1_000_000  # characters output in all, counting what macros and blocks produce
MAX_REPEAT = MAX_OUTPUT
MAX_EXPONENT = 100
MAX_DEPTH = 50  # calls (macros, methods, loop()) inside one another
MAX_STEPS = 100_000  # loop iterations in one rendering
MAX_SECONDS = 0.5

# Filters and methods whose numbers say how much text or how many items to make.
_SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate"})
_SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
# The widths and precisions of a ``%`` or ``str.format`` specification.
_PERCENT_SPEC = re.compile(r"%[-#0 +]*(\d*|\*)(?:\.(\d*|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*:([^{}]*)\}")
_NESTED_SPEC = re.compile(r"\{[^{}]*\{")


class RenderLimit(TemplateRuntimeError):
    """The rendering went over one of its bounds."""


@dataclass
class _Budget:
    deadline: float
    depth: int = 0
    steps: int = 0
    produced: int = 0
    ticks: int = 0

    def tick(self) -> None:
        # The clock is read every 16th look: cheap enough for every attribute and loop step. It is
        # the thread's CPU time, not the wall clock: on a busy machine a rendering waits for a core
        # or for the interpreter lock (another thread, a garbage collection) for longer than the
        # budget, and a template that renders in milliseconds must not fail for it (a series of
        # 20,000 confirmations lost three of them so).
        self.ticks += 1
        if not self.ticks & 15 and time.thread_time() > self.deadline:
            raise RenderLimit(f"rendering took longer than {MAX_SECONDS} s")


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def _bounded(value: Any) -> Any:
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_OUTPUT:
        raise RenderLimit(f"a value is longer than {MAX_OUTPUT}")
    return value


def _small_numbers(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and abs(value) > MAX_OUTPUT:
            raise RenderLimit(f"a size of {value} is over {MAX_OUTPUT}")


def _check_format(spec: str, args: Iterable[Any]) -> None:
    """Refuses a format asking for a field wider (or more precise) than a text may be."""
    widths = [w for m in _PERCENT_SPEC.finditer(spec) for w in m.groups() if w]
    widths += re.findall(r"\d+", " ".join(_BRACE_SPEC.findall(spec)))
    if "*" in widths or _NESTED_SPEC.search(spec):
        _small_numbers(args)  # the width comes from the arguments
    _small_numbers(int(w) for w in widths if w.isdigit())


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        grows = (text.count(old) if old else len(text) + 1) * max(0, len(new) - len(old))
        if len(text) + grows > MAX_OUTPUT:
            raise RenderLimit(f"the replacement would be longer than {MAX_OUTPUT}")


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(func, "jinja_pass_arg", None) is not None

    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        value, rest = (args[1], args[2:]) if passes else (args[0], args[1:])
        if name in _SIZED_FILTERS:
            _small_numbers([*rest, *kwargs.values()])
        elif name == "replace" and len(rest) >= 2:
            _check_replace(value, rest[0], rest[1])
        elif name == "format" and isinstance(value, str):
            _check_format(value, [*rest, *kwargs.values()])
        return _bounded(func(*args, **kwargs))

    return guarded


@pass_context
def _steps(_context: Context, iterable: Any) -> Iterator[Any]:
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.steps += 1
            if budget.steps > MAX_STEPS:
                raise RenderLimit(f"loops went round more than {MAX_STEPS} times")
            budget.tick()
        yield item


@pass_context
def _output(_context: Context, value: Any) -> Any:
    budget = _budget.get()
    if budget is not None:
        budget.produced += len(str(value))
        if budget.produced > MAX_PRODUCED:
            raise RenderLimit(f"the template produced more than {MAX_PRODUCED} characters")
        budget.tick()
    return value


@pass_context
def _value(_context: Context, value: Any) -> Any:
    return _bounded(value)


class _Bounds(NodeTransformer):
    """Routes every loop, every ``~`` and every piece of output kept in memory (by a macro or a
    block; the template's own text is streamed and measured as it comes) through the budget."""

    def __init__(self) -> None:
        self.buffered = 0

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "cpty_steps", [], [], None, None, lineno=node.lineno)
        return node

    def _buffer(self, node: nodes.Node) -> nodes.Node:
        self.buffered += 1
        try:
            self.generic_visit(node)
        finally:
            self.buffered -= 1
        return node

    visit_Macro = visit_CallBlock = visit_FilterBlock = visit_AssignBlock = _buffer

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        if self.buffered:
            node.nodes = [self._counted(child) for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "cpty_value", [], [], None, None, lineno=node.lineno)

    @staticmethod
    def _counted(child: nodes.Expr) -> nodes.Expr:
        if isinstance(child, nodes.TemplateData):
            child = nodes.MarkSafeIfAutoescape(nodes.Const(child.data), lineno=child.lineno)
        return nodes.Filter(child, "cpty_output", [], [], None, None, lineno=child.lineno)


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(cpty_steps=_steps, cpty_output=_output, cpty_value=_value)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _Bounds().visit(tree)
        return tree

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _tick()
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError("the exponent is too large")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_format(left, right if isinstance(right, tuple) else [right])
            return _bounded(operator.mod(left, right))
        if operator_name == "+":
            sized = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
            if sized and len(left) + len(right) > MAX_OUTPUT:
                raise RenderLimit(f"a value is longer than {MAX_OUTPUT}")
            return operator.add(left, right)
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                raise SecurityError("the repetition is too long")
        return operator.mul(left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget.get()
        if budget is None:
            return super().call(__context, __obj, *args, **kwargs)
        budget.tick()
        method = getattr(__obj, "__wrapped__", __obj)
        if isinstance(getattr(method, "__self__", None), str):
            name = getattr(method, "__name__", "")
            if name in _SIZED_METHODS:
                _small_numbers([*args, *kwargs.values()])
            elif name == "replace" and len(args) >= 2:
                _check_replace(method.__self__, args[0], args[1])
            elif name in ("format", "format_map"):
                _check_format(method.__self__, [*args, *kwargs.values()])
        budget.depth += 1
        try:
            if budget.depth > MAX_DEPTH:
                raise RenderLimit(f"calls are nested more than {MAX_DEPTH} deep (a macro calling itself?)")
            return _bounded(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1


_text = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_html = _Sandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)
# For the trial rendering when a template is saved: any variable is there (and empty).
_trial_text = _Sandbox(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=True)
_trial_html = _Sandbox(undefined=ChainableUndefined, autoescape=True, keep_trailing_newline=True)


@lru_cache(maxsize=512)
def _compile(source: str, html: bool, trial: bool = False) -> Jinja:
    if trial:
        return (_trial_html if html else _trial_text).from_string(source)
    return (_html if html else _text).from_string(source)


def _bounded_render(template: Jinja, values: dict[str, Any]) -> str:
    """The text, streamed so that the budget and the length are looked at as it grows."""
    token = _budget.set(_Budget(deadline=time.thread_time() + MAX_SECONDS))
    try:
        parts: list[str] = []
        length = 0
        for part in template.root_render_func(template.new_context(values)):
            length += len(part)
            if length > MAX_OUTPUT:
                raise RenderLimit(f"the text is longer than {MAX_OUTPUT} characters")
            parts.append(part)
        return "".join(parts)
    finally:
        _budget.reset(token)


def check(source: str, field: str, html: bool = False) -> None:
    """Refuses a template source that does not compile, naming the line (422), or that goes over
    a rendering bound whatever it is given: rendered once with every variable present and empty,
    a macro that always calls itself, or loops too long, show at once."""
    try:
        _compile(source, html)
        trial = _compile(source, html, trial=True)
    except TemplateSyntaxError as error:
        raise Invalid(["body", field], f"line {error.lineno}: {error.message}") from None
    try:
        _bounded_render(trial, {})
    except RenderLimit as error:
        raise Invalid(["body", field], f"the template cannot be rendered: {error}") from None
    except RecursionError:
        raise Invalid(["body", field], "the template cannot be rendered: it recurses without end") from None
    except Exception:  # a failure that depends on the values: the real renderings will tell
        return


def render(source: str, values: dict[str, Any], html: bool = False, what: str = "template") -> str:
    """The template's text for ``values``; a template that cannot be rendered with them for any
    reason (an unknown variable, a forbidden operation, a bound) refuses the command (409
    ``template_render_failed``)."""
    try:
        return _bounded_render(_compile(source, html), values)
    except TemplateSyntaxError as error:
        raise conflict("template_render_failed", f"{what}, line {error.lineno}: {error.message}") from None
    except RecursionError:
        raise conflict("template_render_failed", f"{what}: it recurses without end") from None
    except Exception as error:  # whatever the template does is its failure, not the service's
        raise conflict("template_render_failed", f"{what}: {error}") from None
