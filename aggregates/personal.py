"""Where events carry personal data, and whose it is.

An event class lists in ``PERSONAL`` the places of its JSON state that hold a data subject's
personal data (a ``person`` partner, or a contact). The store keeps those values encrypted with
the subject's own key, and erasing the subject destroys the key (crypto-shredding): from then on
each such value reads ``ERASED``, while codes, amounts and numbers stay as they were. The log is
never rewritten. Read models that copied such values hold on to them; they replace them when they
see ``PersonalDataErased``, with ``erased_copy`` of the events they made them from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

ERASED = "[erased]"


@dataclass(frozen=True)
class Personal:
    """The personal values of one kind of object within an event's JSON state.

    ``scope``: the dotted path of the objects (``""`` the event itself; ``*`` every item of a
    list or value of a mapping). ``fields``: dotted paths of the values within each object.
    ``subject``: the object's field that names the data subject (None: the event's stream, a
    partner). ``when``: whether an object holds personal data at all (a partner's name is
    personal only for a ``person``). ``known_only``: the values belong to a subject only if it is
    one already (an address or a note of a partner is personal once the partner is a person)."""

    scope: str
    fields: tuple[str, ...]
    subject: str | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    known_only: bool = False


def is_person(details: dict[str, Any]) -> bool:
    return details.get("kind") == "person"


def is_personal(value: Any) -> bool:
    """A value worth protecting: text that says something (not empty, not erased already)."""
    return isinstance(value, str) and value != "" and value != ERASED


def scopes(state: Any, path: str) -> Iterator[dict[str, Any]]:
    """The objects at ``path`` in ``state`` (``*`` fans out over lists and mappings)."""
    if not path:
        if isinstance(state, dict):
            yield state
        return
    head, _, rest = path.partition(".")
    if head == "*":
        items = state.values() if isinstance(state, dict) else state if isinstance(state, list) else ()
        for item in items:
            yield from scopes(item, rest)
    elif isinstance(state, dict) and head in state:
        yield from scopes(state[head], rest)


def slot(obj: dict[str, Any], path: str) -> tuple[dict[str, Any], str] | None:
    """The mapping holding the value at the dotted ``path`` of ``obj``, and its key there."""
    *parents, last = path.split(".")
    for name in parents:
        obj = obj.get(name)  # type: ignore[assignment]
        if not isinstance(obj, dict):
            return None
    return (obj, last) if last in obj else None


@dataclass(frozen=True)
class Place:
    """One personal value in a state: whose it is, and where it sits."""

    subject: str
    spec: Personal
    holder: dict[str, Any]
    key: str


def places(specs: tuple[Personal, ...], state: dict[str, Any], stream: str) -> Iterator[Place]:
    """Every place in ``state`` that holds a subject's personal value (whatever its value)."""
    for spec in specs:
        for obj in scopes(state, spec.scope):
            if spec.when is not None and not spec.when(obj):
                continue
            subject = obj.get(spec.subject) if spec.subject else stream
            if subject is None:
                continue
            for path in spec.fields:
                found = slot(obj, path)
                if found is not None:
                    yield Place(str(subject), spec, *found)


def erase_state(specs: tuple[Personal, ...], state: dict[str, Any], stream: str, subjects: set[str] | None) -> bool:
    """Replaces in ``state`` the personal values of ``subjects`` (all, if None) by ``ERASED``;
    answers whether any was replaced. This is what reading gives once their keys are gone."""
    changed = False
    for place in places(specs, state, stream):
        if (subjects is None or place.subject in subjects) and is_personal(place.holder[place.key]):
            place.holder[place.key] = ERASED
            changed = True
    return changed
