"""Which business-rule codes (409) a command route can answer, read from the code itself: the
command handler the route runs, what it calls in the commands layer, and the methods of the
aggregates it loads. A rule added to an aggregate shows in the document without anyone listing
it twice."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from functools import cache
from typing import Any

PROJECT = ("aggregates.", "commands.")
DEPTH = 5


@cache
def _tree(function: Callable[..., Any]) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def _ours(thing: Any) -> bool:
    return str(getattr(thing, "__module__", "")).startswith(PROJECT)


def _methods(name: str, scope: dict[str, Any]) -> list[Callable[..., Any]]:
    """``x.name(...)`` on an aggregate: the methods of that name of the aggregates in scope."""
    found = []
    for value in scope.values():
        if inspect.isclass(value) and _ours(value):
            method = inspect.getattr_static(value, name, None)
            method = getattr(method, "__func__", method)
            if inspect.isfunction(method):
                found.append(method)
    return found


def codes_of(function: Callable[..., Any], depth: int = 0, seen: set[Any] | None = None) -> set[str]:
    """The codes of ``conflict("code", …)`` that ``function`` raises, directly or through calls."""
    seen = set() if seen is None else seen
    tree = _tree(function)
    if tree is None or function in seen or depth > DEPTH:
        return set()
    seen.add(function)
    scope = getattr(function, "__globals__", {})
    codes: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        if isinstance(callee, ast.Name) and callee.id == "conflict":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                codes.add(node.args[0].value)
            continue
        targets: list[Any] = []
        if isinstance(callee, ast.Name):
            target = scope.get(callee.id)
            targets = [target] if inspect.isfunction(target) and _ours(target) else []
            if inspect.isclass(target) and _ours(target):
                targets = _methods("__init__", {"cls": target})
        elif isinstance(callee, ast.Attribute):
            targets = _methods(callee.attr, scope)
        for target in targets:
            codes |= codes_of(target, depth + 1, seen)
    return codes


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
