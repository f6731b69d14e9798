"""/v1/custom-fields: the catalogue of custom fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from aggregates.custom_field import FieldEntity, FieldType
from commands.custom_fields import DefineCustomField, define_custom_field
from services.api.deps import AnyRole, Cmd, Paging, ReadModels

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])


class CustomFieldCreate(DefineCustomField):
    pass


class CustomFieldPublic(BaseModel):
    entity: FieldEntity
    code: str
    label: str
    type: FieldType
    options: list[str]
    required: bool


class CustomFieldList(BaseModel):
    items: list[CustomFieldPublic]
    next_cursor: str | None


@router.post("", status_code=201, response_model=CustomFieldPublic, summary="Define a custom field")
def create_custom_field(body: CustomFieldCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Codes are lower-case snake case; values are validated by type in each entity's `custom_fields` (422). 409
    `custom_field_exists` for a second definition of a code for the same entity."""
    command = DefineCustomField.model_validate(body.model_dump())
    return cmd.run(
        define_custom_field,
        command,
        lambda r: reads.settings.custom_field(command.entity.value, command.code),
        status=201,
    )


@router.get("", response_model=CustomFieldList, summary="Custom field definitions")
def list_custom_fields(
    _who: AnyRole, reads: ReadModels, paging: Paging, entity: FieldEntity | None = None
) -> dict[str, Any]:
    """Filter by `entity`."""
    return reads.settings.custom_fields(entity.value if entity else None, paging)
