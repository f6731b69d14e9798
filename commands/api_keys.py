"""API key commands. The caller hashes the secret; the log only ever sees the hash."""

from __future__ import annotations

from pydantic import BaseModel

from aggregates.api_key import ApiKey, ApiRole
from aggregates.errors import not_found
from commands.context import CommandContext, Result
from commands.types import Strict, Username


class IssueApiKey(Strict):
    name: Username
    role: ApiRole
    key_hash: str


def issue_api_key(cmd: IssueApiKey, ctx: CommandContext) -> Result:
    key = ctx.find(ApiKey, ApiKey.id_for(cmd.name))
    if key is None:
        key = ApiKey.issue(cmd.name, cmd.role, cmd.key_hash)
    else:
        key.reissue(cmd.role, cmd.key_hash)
    return Result(ctx.save(key), key.id)


class RevokeApiKey(BaseModel):
    name: str


def revoke_api_key(cmd: RevokeApiKey, ctx: CommandContext) -> Result:
    key = ctx.find(ApiKey, ApiKey.id_for(cmd.name))
    if key is None:
        raise not_found("API key", cmd.name)
    key.revoke()
    return Result(ctx.save(key), key.id)
