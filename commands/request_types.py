"""Request types (their service levels) and the routing rules that assign arriving requests."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.base import Aggregate
from aggregates.errors import Invalid, conflict, not_found
from aggregates.request import ServiceLevel
from aggregates.request_routing import ROUTING_ID, Routing, RoutingRule
from aggregates.request_type import RequestType, TypeDefinition
from commands.context import CommandContext, Result
from commands.references import require_user
from commands.types import Code, Name, Strict, Username

Days = Annotated[int, Field(ge=0, le=3650)]


def later(moment: datetime, days: int, zone: tzinfo) -> datetime:
    """``days`` calendar days after ``moment`` on the business time zone's wall clock (a day
    across a daylight-saving change is 23 or 25 hours)."""
    return (moment.astimezone(zone) + timedelta(days=days)).astimezone(moment.tzinfo)


def service_level(definition: TypeDefinition, opened_at: datetime, zone: tzinfo) -> ServiceLevel:
    due_at = later(opened_at, definition.due_days, zone)
    escalate = definition.escalate_after_days
    return ServiceLevel(
        due_at=due_at,
        overdue_at=later(due_at, definition.tolerance_days, zone),
        escalate_at=later(due_at, escalate, zone) if escalate is not None else None,
        alert_when_overdue=definition.alert_when_overdue,
    )


def load_request_type(ctx: CommandContext, code: str, loc: list[str | int] | None = None) -> RequestType:
    found = ctx.find(RequestType, RequestType.id_for(code.strip()))
    if found is None:
        if loc is not None:
            raise Invalid(loc, f"unknown request type {code}")
        raise not_found("request type", code)
    return found


def routing_of(ctx: CommandContext) -> Routing:
    return ctx.find(Routing, ROUTING_ID) or ctx.track(Routing.open())


def default_request_type(ctx: CommandContext, arriving: str) -> str:
    """The type of requests that arrive without one (by e-mail, from the portal)."""
    routing = ctx.find(Routing, ROUTING_ID)
    if routing is None or routing.default_type is None:
        raise conflict("no_request_type", f"there is no request type for requests that arrive {arriving}")
    return routing.default_type


class TypeFields(Strict):
    name: Name | None = None
    due_days: Days | None = None
    tolerance_days: Days | None = None
    escalate_after_days: Days | None = None
    alert_when_overdue: bool | None = None
    assign_to: Username | None = None
    is_default: bool | None = None


class DefineRequestType(TypeFields):
    code: Code
    name: Name
    due_days: Days
    tolerance_days: Days = 0
    escalate_after_days: Days | None = None
    alert_when_overdue: bool = True
    assign_to: Username | None = None
    is_default: bool = False


class ChangeRequestType(TypeFields):
    code: str = Field(exclude=True)


def define_request_type(cmd: DefineRequestType, ctx: CommandContext) -> Result:
    """The first type defined is the default (requests opened by e-mail get it) until another
    one is made the default."""
    if ctx.find(RequestType, RequestType.id_for(cmd.code)) is not None:
        raise conflict("request_type_exists", f"a request type {cmd.code} already exists")
    if cmd.assign_to is not None:
        require_user(ctx, cmd.assign_to, ["body", "assign_to"])
    definition = TypeDefinition(**cmd.model_dump(exclude={"code", "is_default"}))
    request_type = RequestType.define(cmd.code, definition)
    routing = routing_of(ctx)
    if cmd.is_default or routing.default_type is None:
        routing.set_default_type(cmd.code)
    return Result(ctx.save(request_type, routing), request_type.id)


def change_request_type(cmd: ChangeRequestType, ctx: CommandContext) -> Result:
    """Changes the fields sent; requests opened before keep the service level they were given."""
    request_type = ctx.load_for_update(RequestType, load_request_type(ctx, cmd.code).id)
    changes = {k: getattr(cmd, k) for k in cmd.model_fields_set - {"code", "is_default"}}
    for required in ("name", "due_days", "tolerance_days", "alert_when_overdue"):
        if required in changes and changes[required] is None:
            raise Invalid(["body", required], "may not be null")
    if changes.get("assign_to") is not None:
        require_user(ctx, changes["assign_to"], ["body", "assign_to"])
    request_type.change(request_type.definition.model_copy(update=changes))
    touched: list[Aggregate] = [request_type]
    if cmd.is_default:
        routing = routing_of(ctx)
        routing.set_default_type(request_type.code)
        touched.append(routing)
    return Result(ctx.save(*touched), request_type.id)


class AddRoutingRule(Strict):
    type: Code | None = None
    keyword: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    assign_to: Username


def add_routing_rule(cmd: AddRoutingRule, ctx: CommandContext) -> Result:
    """Appends a rule: rules are tried in the order they were added."""
    if cmd.type is not None:
        load_request_type(ctx, cmd.type, ["body", "type"])
    require_user(ctx, cmd.assign_to, ["body", "assign_to"])
    routing = routing_of(ctx)
    rule = RoutingRule(id=uuid4(), type=cmd.type, keyword=cmd.keyword, assign_to=cmd.assign_to)
    routing.add(rule)
    return Result(ctx.save(routing), rule.id)


class RemoveRoutingRule(Strict):
    rule: UUID


def remove_routing_rule(cmd: RemoveRoutingRule, ctx: CommandContext) -> Result:
    routing = ctx.find(Routing, ROUTING_ID)
    if routing is None or not any(r.id == cmd.rule for r in routing.rules):
        raise not_found("routing rule", cmd.rule)
    routing.remove(cmd.rule)
    return Result(ctx.save(routing), cmd.rule)
