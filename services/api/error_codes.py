"""Which business-rule codes (409) a command route can answer, read from the code itself: the
command handler the route runs, what it calls in the commands layer, and the methods of the
aggregates it loads. A rule added to an aggregate shows in the document without anyone listing
it twice."""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable
from functools import cache
from typing import Any

PROJECT = ("aggregates.", "commands.")


@cache
def _tree(function: Callable[..., Any]) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def _ours(thing: Any) -> bool:
    return str(getattr(thing, "__module__", "")).startswith(PROJECT)


@cache
def _classes(module: str) -> tuple[type, ...]:
    """The aggregates (and other project classes) a module of the project has in scope."""
    scope = vars(sys.modules[module])
    return tuple(v for v in scope.values() if inspect.isclass(v) and _ours(v))


@cache
def _methods(name: str, module: str) -> tuple[Callable[..., Any], ...]:
    """``x.name(...)`` in ``module``: the methods of that name of the project classes in scope."""
    found = []
    for cls in _classes(module):
        method = inspect.getattr_static(cls, name, None)
        method = getattr(method, "__func__", method)
        if inspect.isfunction(method):
            found.append(method)
    return tuple(found)


_RUNNING: set[Any] = set()


@cache
def codes_of(function: Callable[..., Any]) -> frozenset[str]:
    """The codes of ``conflict("code", …)`` that ``function`` raises, directly or through calls."""
    tree = _tree(function)
    if tree is None or function in _RUNNING:
        return frozenset()
    _RUNNING.add(function)
    try:
        scope = function.__globals__
        codes: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                codes |= _called(node, scope, function.__module__)
        return frozenset(codes)
    finally:
        _RUNNING.discard(function)


def _called(node: ast.Call, scope: dict[str, Any], module: str) -> set[str]:
    callee = node.func
    if isinstance(callee, ast.Name) and callee.id == "conflict":
        first = node.args[0] if node.args else None
        return {first.value} if isinstance(first, ast.Constant) and isinstance(first.value, str) else set()
    targets: tuple[Callable[..., Any], ...] = ()
    if isinstance(callee, ast.Name):
        target = scope.get(callee.id)
        if inspect.isfunction(target) and _ours(target):
            targets = (target,)
    elif isinstance(callee, ast.Attribute):
        targets = _methods(callee.attr, module)
    return set().union(*(codes_of(t) for t in targets))


def route_codes(endpoint: Callable[..., Any]) -> list[str]:
    """The business-rule codes of the command handlers ``endpoint`` names (it runs them, itself
    or through a helper of its module)."""
    tree = _tree(endpoint)
    if tree is None:
        return []
    scope = getattr(endpoint, "__globals__", {})
    codes: set[str] = set()
    for node in ast.walk(tree):
        handler = scope.get(node.id) if isinstance(node, ast.Name) else None
        if inspect.isfunction(handler) and str(handler.__module__).startswith("commands."):
            codes |= codes_of(handler)
    return sorted(codes)
