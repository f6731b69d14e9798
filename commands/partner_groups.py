"""Partner group commands."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aggregates.errors import conflict, not_found
from aggregates.partner_group import GroupSettings, PartnerGroup
from commands.context import CommandContext, Result
from commands.references import load_scheme, named_by
from commands.types import Code, Name, Percent, ShortText, Strict


class GroupFields(Strict):
    name: Name | None = None
    credit_watch_percent: Percent | None = None
    collection_scheme: ShortText | None = None
    request_priority_boost: Annotated[int, Field(ge=0, le=4)] | None = None


class CreatePartnerGroup(GroupFields):
    code: Code
    name: Name


class ChangePartnerGroup(GroupFields):
    code: str = Field(exclude=True)


def _check_scheme(ctx: CommandContext, code: str | None) -> None:
    if code:
        with named_by("body", "collection_scheme"):
            load_scheme(ctx, code)


def create_partner_group(cmd: CreatePartnerGroup, ctx: CommandContext) -> Result:
    code = cmd.code.strip().upper()
    if ctx.find(PartnerGroup, PartnerGroup.id_for(code)):
        raise conflict("group_exists", f"a partner group {code} already exists")
    _check_scheme(ctx, cmd.collection_scheme)
    settings = GroupSettings(**cmd.model_dump(exclude={"code"}, exclude_none=True))
    group = PartnerGroup.create(code, settings)
    return Result(ctx.save(group), group.id)


def load_group(ctx: CommandContext, code: str) -> PartnerGroup:
    group = ctx.find(PartnerGroup, PartnerGroup.id_for(code.strip().upper()))
    if group is None:
        raise not_found("partner group", code)
    return group


def change_partner_group(cmd: ChangePartnerGroup, ctx: CommandContext) -> Result:
    group = ctx.load_for_update(PartnerGroup, load_group(ctx, cmd.code).id)
    changes = {k: getattr(cmd, k) for k in cmd.model_fields_set if k != "code"}
    for required in ("name", "credit_watch_percent", "request_priority_boost"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    _check_scheme(ctx, changes.get("collection_scheme"))
    group.change(group.settings.model_copy(update=changes))
    return Result(ctx.save(group), group.id)
