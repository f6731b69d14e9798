"""What a command's body names must exist: a partner, document, user, group, scheme, template,
interest area or campaign that is not there answers 422 at the field that names it, before
anything is recorded.

The loaders of the command modules (``load_partner``, ``load_document``, ``load_template``…) raise
``NotFound``, which is right for what a path names (404). Around the lookup of something the
body names, ``named_by`` makes it the client's field error instead::

    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from aggregates.collection_scheme import CollectionScheme
from aggregates.errors import Invalid, NotFound, not_found
from aggregates.user import User
from commands.context import CommandContext


@contextmanager
def named_by(*loc: str | int) -> Iterator[None]:
    """What the lookup inside cannot find is a 422 at ``loc`` (``"body", "field", index…``)."""
    try:
        yield
    except NotFound as missing:
        raise Invalid(loc, missing.detail) from None


def load_user(ctx: CommandContext, username: str) -> User:
    user = ctx.find(User, User.id_for(username))
    if user is None:
        raise not_found("user", username)
    return user


def require_user(ctx: CommandContext, username: str, loc: Sequence[str | int]) -> User:
    """A user a body names (sales rep, assignee, supervisor, handler)."""
    with named_by(*loc):
        return load_user(ctx, username)


def load_scheme(ctx: CommandContext, code: str) -> CollectionScheme:
    """A collection scheme by its code (codes are upper-case, as ``define_scheme`` records them)."""
    scheme = ctx.find(CollectionScheme, CollectionScheme.id_for(code.strip().upper()))
    if scheme is None:
        raise not_found("collection scheme", code)
    return scheme
