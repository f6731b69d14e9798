"""Collection schemes: define or change one, pick the default, and find the scheme of a partner."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from aggregates.collection_scheme import (
    COLLECTION_SETTINGS_ID,
    Action,
    ActionType,
    CollectionScheme,
    CollectionSettings,
    CollectionStatus,
    Level,
    SchemeRules,
)
from aggregates.errors import Invalid, conflict
from aggregates.partner import Partner
from aggregates.partner_group import PartnerGroup
from aggregates.template import Channel
from commands.activities import SALES_REP
from commands.context import CommandContext, Result
from commands.messages import load_template
from commands.references import named_by, require_user
from commands.types import Money, Name, Percent, ShortText, Strict


class ActionIn(Strict):
    type: ActionType
    template: ShortText | None = None
    attach_letter: ShortText | None = None
    amount: Annotated[Money, Field(gt=0)] | None = None
    annual_rate: Percent | None = None
    title: ShortText | None = None
    assignee: ShortText | None = None
    due_in_days: Annotated[int, Field(ge=0, le=365)] | None = None
    days: Annotated[int, Field(ge=0, le=3650)] | None = None
    status: Annotated[CollectionStatus | None, Field(description="set_collection_status only")] = None


class LevelIn(Strict):
    seq: Annotated[int, Field(ge=0, le=99)]
    name: Name
    days_after_due: Annotated[int, Field(ge=-365, le=3650)]
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class DefineScheme(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Name
    is_default: bool = False
    tolerance: Annotated[Money, Field(ge=0)] = Decimal("0.00")
    min_days_between_actions: Annotated[int, Field(ge=0, le=365)] = 0
    sequential: bool = True
    auto_unblock: bool = True
    promise_grace_days: Annotated[int, Field(ge=0, le=365)] = 0
    levels: Annotated[list[LevelIn], Field(min_length=1, max_length=20)]

    def rules(self) -> SchemeRules:
        levels = tuple(
            Level(
                seq=lv.seq,
                name=lv.name,
                days_after_due=lv.days_after_due,
                actions=tuple(Action(**a.model_dump()) for a in lv.actions),
            )
            for lv in self.levels
        )
        values = self.model_dump(exclude={"code", "levels"})
        return SchemeRules(**values, levels=levels)


def collection_settings(ctx: CommandContext) -> CollectionSettings:
    return ctx.find(CollectionSettings, COLLECTION_SETTINGS_ID) or ctx.track(CollectionSettings.open())


# The channel an action's template is rendered for (an e-mail's ``attach_letter`` is a letter).
TEMPLATE_CHANNELS = {ActionType.EMAIL: Channel.EMAIL, ActionType.SMS: Channel.SMS, ActionType.LETTER: Channel.LETTER}


def _check_references(ctx: CommandContext, cmd: DefineScheme) -> None:
    """The templates and task assignees the actions name exist: a typo would skip that action in
    every day's run."""
    for i, level in enumerate(cmd.levels):
        for j, action in enumerate(level.actions):
            loc = ("body", "levels", i, "actions", j)
            for field, channel in (("template", TEMPLATE_CHANNELS.get(action.type)), ("attach_letter", Channel.LETTER)):
                code = getattr(action, field)
                if code is None:
                    continue
                with named_by(*loc, field):
                    template = load_template(ctx, code)
                if channel is not None and template.content.channel is not channel:
                    used = template.content.channel.value
                    raise Invalid([*loc, field], f"template {code} is for {used}, not {channel.value}")
            if action.assignee is not None and action.assignee != SALES_REP:
                require_user(ctx, action.assignee, [*loc, "assignee"])


def define_scheme(cmd: DefineScheme, ctx: CommandContext) -> Result:
    code = cmd.code.strip().upper()
    _check_references(ctx, cmd)
    existing = ctx.find(CollectionScheme, CollectionScheme.id_for(code))
    if existing is not None:
        if ctx.expected_version is None:
            raise conflict("scheme_exists", f"a collection scheme {code} exists")
        scheme = ctx.load_for_update(CollectionScheme, existing.id)
        scheme.change(cmd.rules())
    else:
        scheme = CollectionScheme.define(code, cmd.rules())
    touched: list[Any] = [scheme]
    settings = collection_settings(ctx)
    if cmd.is_default or settings.default_scheme is None:
        settings.set_default(code)
        touched.append(settings)
    return Result(ctx.save(*touched), scheme.id)


def scheme_for(ctx: CommandContext, partner: Partner) -> CollectionScheme | None:
    """The partner's scheme, else its group's, else the default."""
    code = partner.details.collection_scheme
    if not code and partner.details.group:
        group = ctx.find(PartnerGroup, PartnerGroup.id_for(partner.details.group))
        code = group.settings.collection_scheme if group else None
    if not code:
        settings = ctx.find(CollectionSettings, COLLECTION_SETTINGS_ID)
        code = settings.default_scheme if settings else None
    return ctx.find(CollectionScheme, CollectionScheme.id_for(code.upper())) if code else None
