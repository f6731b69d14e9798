"""Query filters that take one or more words of a closed set, comma-separated (``?status=open,closed``).

An enum cannot say "a list of these, joined by commas" in a query string that FastAPI reads, so the
parameter stays a string whose pattern admits only the words: the OpenAPI document names them, a
generator can check them, and a word outside the set is a 422 at the parameter, not an empty page."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, get_args

from fastapi import Query


def words(kind: Any) -> tuple[str, ...]:
    """The words of an ``Enum`` class or a ``Literal``."""
    if isinstance(kind, type) and issubclass(kind, Enum):
        return tuple(str(member.value) for member in kind)
    return tuple(str(word) for word in get_args(kind))


def word_list(kind: Any, *extra: str) -> Any:
    """The ``Query`` of a filter taking one or more of ``kind``'s words (and ``extra`` ones)."""
    allowed = (*words(kind), *extra)
    one = "|".join(re.escape(word) for word in allowed)
    return Query(pattern=f"^({one})(,({one}))*$", description=f"one or more of {', '.join(allowed)}, comma-separated")
