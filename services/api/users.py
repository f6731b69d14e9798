"""/v1/users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from commands.users import RegisterUser, register_user
from services.api.deps import AnyRole, Cmd, Paging, ReadModels

router = APIRouter(prefix="/v1/users", tags=["users"])


class UserCreate(RegisterUser):
    pass


class UserPublic(BaseModel):
    username: str
    name: str
    email: str | None
    mobile: str | None
    supervisor: str | None
    teams: list[str]
    version: int


class UserList(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None


@router.post("", status_code=201, response_model=UserPublic, summary="Create a user")
def create_user(body: UserCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Sales reps, request handlers and task assignees are users, named by username. A second user with the
    username is 409 ``user_exists``; an unknown ``supervisor`` (or the user itself) is 422."""
    command = RegisterUser.model_validate(body.model_dump())
    return cmd.run(register_user, command, lambda r: reads.settings.user(command.username), status=201)


@router.get("", response_model=UserList, summary="Users")
def list_users(_who: AnyRole, reads: ReadModels, paging: Paging, team: str | None = None) -> dict[str, Any]:
    """``team`` filters to that team's members."""
    return reads.settings.users(paging, team)


@router.get("/{username}", response_model=UserPublic, summary="One user")
def get_user(username: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By username."""
    return reads.settings.user(username)
