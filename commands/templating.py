"""Compiling and rendering message templates: Jinja2 in a sandbox.

The sandbox refuses access to unsafe attributes (``__class__``, functions' internals), limits
``range`` and refuses huge repetitions and powers, and ``StrictUndefined`` makes a misspelt
variable an error instead of an empty string. E-mail and SMS bodies are text (no escaping);
letter bodies are HTML fragments, so the values put into them are escaped."""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2 import Template as Jinja
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from aggregates.errors import Invalid, conflict

MAX_OUTPUT = 100_000
MAX_REPEAT = 100_000
MAX_EXPONENT = 100


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError("the exponent is too large")
            return operator.pow(left, right)
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                raise SecurityError("the repetition is too long")
        return operator.mul(left, right)


_text = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_html = _Sandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)


@lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> Jinja:
    return (_html if html else _text).from_string(source)


def check(source: str, field: str, html: bool = False) -> None:
    """Refuses a template source that does not compile, naming the line (422)."""
    try:
        _compile(source, html)
    except TemplateSyntaxError as error:
        raise Invalid(["body", field], f"line {error.lineno}: {error.message}") from None


def render(source: str, values: dict[str, Any], html: bool = False, what: str = "template") -> str:
    """The template's text for ``values``; a template that cannot be rendered with them (an
    unknown variable, a forbidden operation) refuses the command (409 ``template_render_failed``)."""
    try:
        text = _compile(source, html).render(values)
    except TemplateSyntaxError as error:
        raise conflict("template_render_failed", f"{what}, line {error.lineno}: {error.message}") from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, OverflowError) as error:
        raise conflict("template_render_failed", f"{what}: {error}") from None
    if len(text) > MAX_OUTPUT:
        raise conflict("template_render_failed", f"{what}: the text is longer than {MAX_OUTPUT} characters")
    return text
