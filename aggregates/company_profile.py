"""The company itself, as the seller every document PDF and letter shows: its name, address,
tax id and registration, its bank account (where customers pay) and how it is reached.

Bank details are checked here, because a wrong IBAN on thousands of invoices sends the customers'
money nowhere: the IBAN's ISO 13616 checksum (mod 97) and the BIC's ISO 9362 shape."""

from __future__ import annotations

import re
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import Invalid
from aggregates.partner_details import Attachment

PROFILE_ID = natural_id("company-profile", "company")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class CompanyAddress(Value):
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""


class CompanyDetails(Value):
    """What the seller block prints. ``logo``: the id of an uploaded logo, or None."""

    name: str = ""
    address: CompanyAddress = CompanyAddress()
    tax_id: str = ""
    registration: str = ""
    iban: str = ""
    bic: str = ""
    bank: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    logo: UUID | None = None
    footer: str = ""


def compact_iban(iban: str) -> str:
    return "".join(iban.split()).upper()


def check_iban(iban: str) -> None:
    """ISO 13616: two letters, two check digits, the account; the whole, rotated and with letters
    as numbers (A = 10), is 1 modulo 97."""
    if not _IBAN.match(iban):
        raise Invalid(["body", "iban"], "an IBAN is a country code, two check digits and up to 30 letters or digits")
    rotated = iban[4:] + iban[:4]
    if int("".join(str(int(ch, 36)) for ch in rotated)) % 97 != 1:
        raise Invalid(["body", "iban"], "the IBAN's check digits do not match (a typo?)")


def check_bic(bic: str) -> None:
    if not _BIC.match(bic):
        raise Invalid(["body", "bic"], "a BIC is 8 or 11 characters: bank, country, location and branch codes")


def format_iban(iban: str) -> str:
    """The IBAN as printed: groups of four."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


class CompanyProfileOpened(CreatedEvent):
    TOPIC = "counterparty.company.CompanyProfileOpened.v1"


class CompanyProfileSet(DomainEvent):
    """The seller's details as documents print them from now on (all of them, each time)."""

    TOPIC = "counterparty.company.CompanyProfileSet.v1"
    details: CompanyDetails


class CompanyLogoUploaded(DomainEvent):
    """A logo file was stored (by its hash) and printed from now on."""

    TOPIC = "counterparty.company.CompanyLogoUploaded.v1"
    logo: Attachment


class CompanyProfile(Aggregate):
    TOPIC = "counterparty.company.CompanyProfile"

    details: CompanyDetails
    logos: dict[UUID, Attachment]

    @classmethod
    def open(cls) -> CompanyProfile:
        return cls._create(CompanyProfileOpened, id=PROFILE_ID)

    @event(CompanyProfileOpened)
    def _opened(self) -> None:
        self.details = CompanyDetails()
        self.logos = {}

    @property
    def logo(self) -> Attachment | None:
        return self.logos.get(self.details.logo) if self.details.logo else None

    def set(self, details: CompanyDetails) -> None:
        """Replaces the details; the bank account must be valid, the logo one uploaded before."""
        details = details.model_copy(update={"iban": compact_iban(details.iban), "bic": details.bic.strip().upper()})
        if details.iban:
            check_iban(details.iban)
        if details.bic:
            check_bic(details.bic)
        if details.logo is not None and details.logo not in self.logos:
            raise Invalid(["body", "logo"], f"no logo {details.logo} was uploaded")
        if details != self.details:
            self._set(details=details)

    @event(CompanyProfileSet)
    def _set(self, details: CompanyDetails) -> None:
        self.details = details

    def upload_logo(self, logo: Attachment) -> None:
        self._logo_uploaded(logo=logo)

    @event(CompanyLogoUploaded)
    def _logo_uploaded(self, logo: Attachment) -> None:
        self.logos[logo.id] = logo
        self.details = self.details.model_copy(update={"logo": logo.id})
