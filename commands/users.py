"""User commands."""

from __future__ import annotations

from pydantic import Field

from aggregates.errors import Invalid, conflict
from aggregates.user import User, UserProfile
from commands.context import CommandContext, Result
from commands.types import Email, Name, ShortText, Strict, Tags, Username


class RegisterUser(Strict):
    username: Username
    name: Name
    email: Email | None = None
    mobile: ShortText | None = None
    supervisor: Username | None = None
    teams: Tags = Field(default_factory=list)


def register_user(cmd: RegisterUser, ctx: CommandContext) -> Result:
    if ctx.find(User, User.id_for(cmd.username)):
        raise conflict("user_exists", f"a user {cmd.username} already exists")
    if cmd.supervisor is not None and (
        cmd.supervisor == cmd.username or not ctx.find(User, User.id_for(cmd.supervisor))
    ):
        raise Invalid(["body", "supervisor"], f"unknown supervisor {cmd.supervisor}")
    profile = UserProfile(**cmd.model_dump(exclude={"username", "teams"}), teams=tuple(dict.fromkeys(cmd.teams)))
    user = User.register(cmd.username, profile)
    return Result(ctx.save(user), user.id)
