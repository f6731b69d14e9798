"""Users: sales reps, request handlers and task assignees, named by username."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id


class UserProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: str | None = None
    mobile: str | None = None
    supervisor: str | None = None
    teams: tuple[str, ...] = ()


class UserRegistered(CreatedEvent):
    TOPIC = "counterparty.user.UserRegistered.v1"
    username: str
    profile: UserProfile


class UserProfileChanged(DomainEvent):
    TOPIC = "counterparty.user.UserProfileChanged.v1"
    profile: UserProfile


class User(Aggregate):
    TOPIC = "counterparty.user.User"

    username: str
    profile: UserProfile

    @staticmethod
    def id_for(username: str) -> UUID:
        return natural_id("user", username)

    @classmethod
    def register(cls, username: str, profile: UserProfile) -> User:
        return cls._create(UserRegistered, id=cls.id_for(username), username=username, profile=profile)

    @event(UserRegistered)
    def _registered(self, username: str, profile: UserProfile) -> None:
        self.username = username
        self.profile = profile

    def change_profile(self, profile: UserProfile) -> None:
        if profile != self.profile:
            self._profile_changed(profile=profile)

    @event(UserProfileChanged)
    def _profile_changed(self, profile: UserProfile) -> None:
        self.profile = profile
