"""Defining custom fields."""

from __future__ import annotations

from pydantic import Field

from aggregates.custom_field import CATALOG_ID, CustomFieldCatalog, CustomFieldDefinition, FieldEntity, FieldType
from commands.context import CommandContext, Result
from commands.types import Name, ShortText, Strict


class DefineCustomField(Strict):
    entity: FieldEntity
    code: ShortText
    label: Name
    type: FieldType
    options: list[ShortText] = Field(default_factory=list, max_length=200)
    required: bool = False


def define_custom_field(cmd: DefineCustomField, ctx: CommandContext) -> Result:
    catalog = ctx.find(CustomFieldCatalog, CATALOG_ID) or CustomFieldCatalog.open()
    catalog.define(CustomFieldDefinition(**{**cmd.model_dump(), "options": tuple(dict.fromkeys(cmd.options))}))
    return Result(ctx.save(catalog), catalog.id)
