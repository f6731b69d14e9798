"""The company's own details (the seller on documents and letters) and its logo."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.company_profile import PROFILE_ID, CompanyAddress, CompanyDetails, CompanyProfile
from aggregates.partner_details import Attachment
from commands.context import CommandContext, Result
from commands.types import Email, Name, ShortText, Strict

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class CompanyAddressIn(Strict):
    street: Line = ""
    city: Line = ""
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    region: Line = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""


class SetCompanyProfile(Strict):
    name: Name
    address: CompanyAddressIn = Field(default_factory=CompanyAddressIn)
    tax_id: ShortText = ""
    registration: ShortText = ""
    iban: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    bic: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    bank: ShortText = ""
    email: Email | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    website: ShortText = ""
    logo: UUID | None = None
    footer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def load_profile(ctx: CommandContext) -> CompanyProfile:
    """The profile (checking the client's ``If-Match``), or a new one before the first setting."""
    if ctx.find(CompanyProfile, PROFILE_ID) is None:
        return ctx.track(CompanyProfile.open())
    return ctx.load_for_update(CompanyProfile, PROFILE_ID)


def set_company_profile(cmd: SetCompanyProfile, ctx: CommandContext) -> Result:
    profile = load_profile(ctx)
    fields = cmd.model_dump(exclude={"address", "email"})
    details = CompanyDetails(**fields, email=cmd.email or "", address=CompanyAddress(**cmd.address.model_dump()))
    profile.set(details)
    return Result(ctx.save(profile), profile.id)


class UploadCompanyLogo(Strict):
    """A logo file the caller stored in the blob store: printed on documents from now on."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    content_type: Annotated[str, StringConstraints(max_length=100)]


def upload_company_logo(cmd: UploadCompanyLogo, ctx: CommandContext) -> Result:
    profile = load_profile(ctx)
    logo = Attachment(id=uuid4(), **cmd.model_dump())
    profile.upload_logo(logo)
    return Result(ctx.save(profile), logo.id)
