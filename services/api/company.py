"""/v1/settings/company: the seller every document PDF and letter shows, and its logo."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from aggregates.errors import not_found
from commands.company import SetCompanyProfile, UploadCompanyLogo, set_company_profile, upload_company_logo
from queries.company import company_profile
from services.adapters.blobs import BlobStore, TooLarge
from services.api.deps import Admin, AnyRole, Cmd, Cont
from services.api.errors import ApiError

router = APIRouter(prefix="/v1/settings/company", tags=["settings"])
LOGO_TYPES = {"image/png", "image/jpeg"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


class CompanyIn(SetCompanyProfile):
    pass


class AddressPublic(BaseModel):
    street: str
    city: str
    postal_code: str
    region: str
    country: str


class LogoPublic(BaseModel):
    id: UUID
    filename: str
    size: int
    sha256: str
    content_type: str


class CompanyPublic(BaseModel):
    name: str
    address: AddressPublic
    tax_id: str
    registration: str
    iban: str
    bic: str
    bank: str
    email: str
    phone: str
    website: str
    logo: LogoPublic | None
    footer: str
    version: int


@router.get("", response_model=CompanyPublic, summary="The company's details (the seller on documents)")
def get_company(_who: AnyRole, c: Cont) -> dict[str, Any]:
    """The seller shown on document PDFs and letters; `version` is 0 before the first `PUT`."""
    return company_profile(c.store)


@router.put("", response_model=CompanyPublic, summary="Set the company's details (admin)")
def put_company(body: CompanyIn, _admin: Admin, cmd: Cmd, c: Cont) -> Response:
    """Replaces every detail. The IBAN's check digits and the BIC's form are checked (422 at the
    field); ``logo`` is the id of an uploaded logo, or null for none."""
    command = SetCompanyProfile.model_validate(body.model_dump())
    return cmd.run(set_company_profile, command, lambda r: company_profile(c.store))


@router.post("/logo", status_code=201, response_model=CompanyPublic, summary="Upload the logo (admin)")
def upload_logo(
    _admin: Admin, cmd: Cmd, c: Cont, file: Annotated[UploadFile, File(description="PNG or JPEG, at most 2 MB")]
) -> Response:
    """PNG or JPEG up to 2 MB (415, 413 otherwise); stores the logo and makes it the company's."""
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in LOGO_TYPES:
        raise ApiError(415, "unsupported_media_type", "a logo is a PNG or JPEG image")
    try:
        sha, size = BlobStore(c.settings.blob_dir).put_stream(file.file, MAX_LOGO_BYTES)
    except TooLarge:
        raise ApiError(413, "payload_too_large", f"a logo is at most {MAX_LOGO_BYTES} bytes") from None
    filename = (file.filename or "logo").replace("/", "_").replace("\\", "_").replace("\x00", "")[:255] or "logo"
    command = UploadCompanyLogo(filename=filename, size=size, sha256=sha, content_type=content_type)
    return cmd.run(upload_company_logo, command, lambda r: company_profile(c.store), status=201)


@router.get(
    "/logo",
    response_class=FileResponse,
    summary="Download the logo",
    responses={404: {"description": "`not_found`: no logo uploaded"}},
)
def download_logo(_who: AnyRole, c: Cont) -> FileResponse:
    """The current logo; 404 when none is set."""
    logo = company_profile(c.store)["logo"]
    blobs = BlobStore(c.settings.blob_dir)
    if logo is None or not blobs.exists(logo["sha256"]):
        raise not_found("logo", "of the company")
    return FileResponse(blobs.path(logo["sha256"]), media_type=logo["content_type"], filename=logo["filename"])
