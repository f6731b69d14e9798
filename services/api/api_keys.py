"""/v1/api-keys: admins issue, list and revoke keys. A key is shown once, when it is issued."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from aggregates.api_key import ApiRole
from commands.api_keys import IssueApiKey, RevokeApiKey, issue_api_key, revoke_api_key
from commands.types import Username
from services.api.deps import Admin, Cmd, Paging, ReadModels, hash_key

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


def new_secret() -> str:
    return "cpty_" + secrets.token_urlsafe(32)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Username
    role: ApiRole


class ApiKeyIssuedPublic(BaseModel):
    name: str
    role: ApiRole
    key: str


class ApiKeyPublic(BaseModel):
    name: str
    role: ApiRole
    revoked: bool


class ApiKeyList(BaseModel):
    items: list[ApiKeyPublic]
    next_cursor: str | None


@router.post("", status_code=201, response_model=ApiKeyIssuedPublic, summary="Issue an API key (shown once)")
def create_key(body: ApiKeyCreate, _admin: Admin, cmd: Cmd) -> Response:
    """The key is shown once and stored hashed. 409 `api_key_exists` while the name is in use."""
    secret = new_secret()
    command = IssueApiKey(name=body.name, role=body.role, key_hash=hash_key(secret))
    return cmd.run(
        issue_api_key, command, lambda r: {"name": body.name, "role": body.role.value, "key": secret}, status=201
    )


@router.get("", response_model=ApiKeyList, summary="API keys (names and roles, never the keys)")
def list_keys(_admin: Admin, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """Names and roles; the keys themselves are never shown."""
    return reads.settings.api_keys(paging)


@router.delete("/{name}", status_code=204, summary="Revoke an API key")
def revoke_key(name: str, _admin: Admin, cmd: Cmd) -> Response:
    """A revoked key answers 401 `unauthorized`; its name can be used again."""
    return cmd.run(revoke_api_key, RevokeApiKey(name=name), lambda r: None, status=204)
