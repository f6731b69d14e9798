"""Partner commands: register, change, addresses, contacts, notes, attachments, credit hold, merge."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from aggregates.account import Account
from aggregates.base import Aggregate
from aggregates.code_claim import CodeClaim
from aggregates.custom_field import CATALOG_ID, CustomFieldCatalog, FieldEntity, validate_custom_fields
from aggregates.errors import Invalid, conflict, not_found
from aggregates.partner import Partner
from aggregates.partner_addresses import Address
from aggregates.partner_contacts import Availability, Contact
from aggregates.partner_details import Attachment, PartnerDetails, PartnerKind, PartnerStatus, Role, normalise_code
from aggregates.sales_document import SalesDocument
from commands.context import CommandContext, Result
from commands.numbering import claim_owner, draw_unique
from commands.partner_groups import load_group
from commands.references import load_scheme, named_by, require_user
from commands.types import (
    Choices,
    Currency,
    CustomFields,
    Email,
    Language,
    Money,
    Name,
    Ref,
    ShortText,
    Strict,
    Tags,
    Text,
)

PARTNER_CODES = "partner"

AddressUsage = Literal["billing", "shipping", "tax", "warehouse", "remit"]
Responsibility = Literal["billing", "purchasing", "technical", "management", "shipping"]
Time = Annotated[str, StringConstraints(max_length=5, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class PartnerFields(Strict):
    """The master data fields, all optional: what PATCH accepts and POST extends."""

    name: Name | None = None
    kind: PartnerKind | None = None
    roles: Choices[Role] | None = None
    # Group codes are upper-case (POST /v1/partner-groups upper-cases them), so is the reference.
    group: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=200)] | None = None
    tags: Tags | None = None
    tax_id: ShortText | None = None
    email: Email | None = None
    phone: ShortText | None = None
    website: ShortText | None = None
    language: Language | None = None
    currency: Currency | None = None
    credit_limit: Annotated[Money, Field(ge=0)] | None = None
    credit_check: bool | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    sales_reps: Tags | None = None
    collection_scheme: ShortText | None = None
    dunning_grace_until: date | None = None
    notes_public: Text | None = None
    notes_private: Text | None = None
    parent: Ref | None = None
    custom_fields: CustomFields | None = None
    code: ShortText | None = None


class RegisterPartner(PartnerFields):
    name: Name
    kind: PartnerKind = PartnerKind.ORGANIZATION
    roles: Choices[Role] = Field(default_factory=lambda: [Role.CUSTOMER])


class ChangePartner(PartnerFields):
    partner: str = Field(exclude=True)


# -- references ----------------------------------------------------------------------------------


def parse_uuid(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except (ValueError, AttributeError, TypeError):
        return None


def find_partner_id(ctx: CommandContext, ref: str) -> UUID | None:
    pid = parse_uuid(ref)
    if pid is not None:
        return pid
    return claim_owner(ctx, PARTNER_CODES, normalise_code(ref))


def load_partner(ctx: CommandContext, ref: str, follow_merge: bool = True) -> Partner:
    """A partner by id or code; an absorbed partner's reference leads to its survivor."""
    pid = find_partner_id(ctx, ref)
    partner = ctx.find(Partner, pid) if pid else None
    if partner is None:
        raise not_found("partner", ref)
    while follow_merge and partner.status is PartnerStatus.MERGED and partner.merged_into:
        partner = ctx.load(Partner, partner.merged_into)
    return partner


def load_partner_for_update(ctx: CommandContext, ref: str) -> Partner:
    partner = load_partner(ctx, ref)
    return ctx.load_for_update(Partner, partner.id)


# -- registration and changes --------------------------------------------------------------------


def custom_field_values(
    ctx: CommandContext, entity: FieldEntity, values: dict[str, Any], loc: list[str | int], require_all: bool = True
) -> dict[str, Any]:
    """The values checked against the entity's custom field definitions (the required ones too)."""
    catalog = ctx.find(CustomFieldCatalog, CATALOG_ID)
    definitions = catalog.for_entity(entity) if catalog else {}
    return validate_custom_fields(definitions, values, loc, require_all)


def _parent(ctx: CommandContext, ref: str | None) -> Partner | None:
    if ref is None:
        return None
    pid = find_partner_id(ctx, ref)
    parent = ctx.find(Partner, pid) if pid else None
    if parent is None or parent.status is PartnerStatus.MERGED:
        raise Invalid(["body", "parent"], f"unknown parent partner {ref}")
    return parent


def _check_references(ctx: CommandContext, fields: dict[str, Any]) -> None:
    """The group, sales reps and collection scheme the body names exist."""
    if fields.get("group"):
        with named_by("body", "group"):
            load_group(ctx, fields["group"])
    for i, rep in enumerate(fields.get("sales_reps") or ()):
        require_user(ctx, rep, ["body", "sales_reps", i])
    if fields.get("collection_scheme"):
        with named_by("body", "collection_scheme"):
            load_scheme(ctx, fields["collection_scheme"])


def _claim_code(ctx: CommandContext, typed: str | None, partner_id: UUID) -> tuple[str, list[Aggregate]]:
    if typed is not None and normalise_code(typed):
        code = normalise_code(typed)
        if ctx.find(CodeClaim, CodeClaim.id_for(PARTNER_CODES, code)):
            raise conflict("code_taken", "customer code already used")
        return code, [CodeClaim.claim(PARTNER_CODES, code, partner_id)]
    return draw_unique(ctx, "partner", ctx.today, PARTNER_CODES, partner_id)


def register_partner(cmd: RegisterPartner, ctx: CommandContext) -> Result:
    partner_id = uuid4()
    values = cmd.model_dump(exclude={"code", "parent", "custom_fields"}, exclude_none=True)
    _check_references(ctx, values)
    parent = _parent(ctx, cmd.parent)
    values["custom_fields"] = custom_field_values(
        ctx, FieldEntity.PARTNER, cmd.custom_fields or {}, ["body", "custom_fields"], True
    )
    values["parent"] = parent.id if parent else None
    values["roles"] = tuple(dict.fromkeys(cmd.roles))
    values["currency"] = cmd.currency or ctx.currency
    for many in ("tags", "sales_reps"):
        if many in values:
            values[many] = tuple(dict.fromkeys(values[many]))
    details = PartnerDetails.model_validate(values)
    code, claimed = _claim_code(ctx, cmd.code, partner_id)
    partner = Partner.register(partner_id, code, details, ctx.today)
    touched: list[Any] = [partner, *claimed]
    if parent:
        parent.attach_child(partner.id)
        touched.append(parent)
    return Result(ctx.save(*touched), partner.id)


def change_partner(cmd: ChangePartner, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    # In the fields' declared order, not the set's (hash-seeded) order: the event lists them.
    changes: dict[str, Any] = {
        k: getattr(cmd, k) for k in type(cmd).model_fields if k in cmd.model_fields_set and k != "partner"
    }
    touched: list[Any] = [partner]
    if "code" in changes:
        code = changes.pop("code")
        if code is not None and normalise_code(code) != partner.code:
            raise conflict("code_immutable", "a partner's code cannot be changed")
    for required in (
        "name",
        "kind",
        "roles",
        "language",
        "currency",
        "credit_limit",
        "credit_check",
        "payment_terms_days",
    ):
        if required in changes and changes[required] is None:
            raise Invalid(["body", required], "this field cannot be null")
    _check_references(ctx, changes)
    if "custom_fields" in changes:
        merged = {**partner.details.custom_fields, **(changes["custom_fields"] or {})}
        merged = {k: v for k, v in merged.items() if v is not None}
        changes["custom_fields"] = custom_field_values(
            ctx, FieldEntity.PARTNER, merged, ["body", "custom_fields"], True
        )
    for many in ("roles", "tags", "sales_reps"):
        if many in changes:
            changes[many] = tuple(dict.fromkeys(changes[many] or ()))
    if "parent" in changes:
        parent = _parent(ctx, changes["parent"])
        if parent and (parent.id == partner.id or parent.id in partner.children):
            raise conflict("parent_cycle", "a partner cannot be the parent of its own parent or itself")
        changes["parent"] = parent.id if parent else None
        if changes["parent"] != partner.details.parent:
            if partner.details.parent:
                old = ctx.load(Partner, partner.details.parent)
                old.detach_child(partner.id)
                touched.append(old)
            if parent:
                parent.attach_child(partner.id)
                touched.append(parent)
    partner.change_details(changes)
    return Result(ctx.save(*touched), partner.id)


# -- addresses -----------------------------------------------------------------------------------


class AddressFields(Strict):
    usage: Choices[AddressUsage] | None = None
    label: ShortText | None = None
    street: ShortText | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    region: ShortText | None = None
    country: ShortText | None = None
    is_default: bool | None = None


class AddAddress(AddressFields):
    partner: str = Field(exclude=True)


class ChangeAddress(AddressFields):
    partner: str = Field(exclude=True)
    address: UUID = Field(exclude=True)


class RemoveAddress(Strict):
    partner: str
    address: UUID


def add_address(cmd: AddAddress, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    values = cmd.model_dump(exclude_none=True)
    values["usage"] = tuple(dict.fromkeys(values.get("usage", ())))
    address = Address(id=uuid4(), **values)
    partner.add_address(address)
    return Result(ctx.save(partner), address.id)


def change_address(cmd: ChangeAddress, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    current = partner.addresses.get(cmd.address)
    if current is None:
        raise not_found("address", cmd.address)
    changes = {k: getattr(cmd, k) for k in cmd.model_fields_set if k not in ("partner", "address")}
    if changes.get("usage") is not None:
        changes["usage"] = tuple(dict.fromkeys(changes["usage"]))
    changes = {k: (v if v is not None else Address.model_fields[k].default) for k, v in changes.items()}
    partner.change_address(current.model_copy(update=changes))
    return Result(ctx.save(partner), cmd.address)


def remove_address(cmd: RemoveAddress, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.remove_address(cmd.address)
    return Result(ctx.save(partner), cmd.address)


# -- contacts ------------------------------------------------------------------------------------


class AvailabilityIn(Strict):
    model_config = ConfigDict(populate_by_name=True)

    weekday: Annotated[int, Field(ge=1, le=7)]
    start: Time = Field(alias="from")
    end: Time = Field(alias="to")

    @field_validator("end")
    @classmethod
    def after_start(cls, end: str, info: Any) -> str:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("'to' must be after 'from'")
        return end


class ContactFields(Strict):
    name: Name | None = None
    title: ShortText | None = None
    email: Email | None = None
    mobile: ShortText | None = None
    phone: ShortText | None = None
    responsibilities: Choices[Responsibility] | None = None
    availability: Annotated[list[AvailabilityIn], Field(max_length=50)] | None = None
    active: bool | None = None
    portal_access: bool | None = None
    custom_fields: CustomFields | None = None


class AddContact(ContactFields):
    partner: str = Field(exclude=True)
    name: Name


class ChangeContact(ContactFields):
    partner: str = Field(exclude=True)
    contact: UUID = Field(exclude=True)


class RemoveContact(Strict):
    partner: str
    contact: UUID


def _contact_values(ctx: CommandContext, values: dict[str, Any], require_all: bool) -> dict[str, Any]:
    if "responsibilities" in values:
        values["responsibilities"] = tuple(dict.fromkeys(values["responsibilities"] or ()))
    if "availability" in values:
        values["availability"] = tuple(Availability(**a) for a in values["availability"] or ())
    if "custom_fields" in values:
        values["custom_fields"] = custom_field_values(
            ctx, FieldEntity.CONTACT, values["custom_fields"] or {}, ["body", "custom_fields"], require_all
        )
    return values


def add_contact(cmd: AddContact, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    values = _contact_values(ctx, {"custom_fields": {}, **cmd.model_dump(exclude_none=True)}, True)
    contact = Contact(id=uuid4(), **values)
    partner.add_contact(contact)
    return Result(ctx.save(partner), contact.id)


def change_contact(cmd: ChangeContact, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    current = partner.contacts.get(cmd.contact)
    if current is None:
        raise not_found("contact", cmd.contact)
    fields = cmd.model_fields_set - {"partner", "contact"}
    dumped = cmd.model_dump()
    changes = {k: dumped[k] for k in fields}
    if "name" in changes and changes["name"] is None:
        raise Invalid(["body", "name"], "this field cannot be null")
    if "custom_fields" in changes:
        changes["custom_fields"] = {**current.custom_fields, **(changes["custom_fields"] or {})}
    changes = _contact_values(ctx, changes, True)
    changes = {k: (v if v is not None else Contact.model_fields[k].default) for k, v in changes.items()}
    partner.change_contact(current.model_copy(update=changes))
    return Result(ctx.save(partner), cmd.contact)


def remove_contact(cmd: RemoveContact, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.remove_contact(cmd.contact)
    return Result(ctx.save(partner), cmd.contact)


# -- notes, attachments, credit hold -------------------------------------------------------------


class AddNote(Strict):
    partner: str
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    visibility: Literal["public", "private"] = "private"


def add_note(cmd: AddNote, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.add_note(cmd.text, cmd.visibility, ctx.today)
    return Result(ctx.save(partner), partner.id)


class AddAttachment(Strict):
    partner: str
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: int
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    content_type: str


def add_attachment(cmd: AddAttachment, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    attachment = Attachment(
        id=uuid4(), filename=cmd.filename, size=cmd.size, sha256=cmd.sha256, content_type=cmd.content_type
    )
    partner.add_attachment(attachment)
    return Result(ctx.save(partner), attachment.id)


class PlaceCreditHold(Strict):
    partner: str
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def place_credit_hold(cmd: PlaceCreditHold, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.place_credit_hold(cmd.reason, on=ctx.today)
    return Result(ctx.save(partner), partner.id)


class LiftCreditHold(Strict):
    partner: str


def lift_credit_hold(cmd: LiftCreditHold, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.lift_credit_hold(on=ctx.today)
    return Result(ctx.save(partner), partner.id)


# -- promotion -----------------------------------------------------------------------------------


class PromoteProspect(Strict):
    """Run by the sales process for the event that made ``document`` effective (its causation)."""

    document: UUID


def promote_prospect(cmd: PromoteProspect, ctx: CommandContext) -> Result:
    """A prospect who accepts a quote or gets a confirmed order or an invoice becomes a customer."""
    document = ctx.load(SalesDocument, cmd.document)
    partner = load_partner_for_update(ctx, str(document.terms.partner))
    partner.promote_to_customer(document.id, document.doc_type, document.number)
    return Result(ctx.save(partner), partner.id)


# -- merge ---------------------------------------------------------------------------------------


class MergePartners(Strict):
    partner: str = Field(exclude=True)
    absorb: Annotated[list[str], Field(min_length=1, max_length=3)]


def merge_partners(cmd: MergePartners, ctx: CommandContext) -> Result:
    survivor = load_partner_for_update(ctx, cmd.partner)
    touched: dict[UUID, Any] = {survivor.id: survivor}

    def current(p: Any) -> Any:
        return touched.setdefault(p.id, p)

    for i, ref in enumerate(cmd.absorb):
        with named_by("body", "absorb", i):
            other = current(load_partner(ctx, ref))
        if other.id == survivor.id:
            raise conflict("merge_self", "a partner cannot be merged into itself")
        survivor.absorb(other, ctx.today)
        other.mark_merged_into(survivor.id, ctx.today)
        for child_id in sorted(other.children, key=str):
            child = current(ctx.load(Partner, child_id))
            child.reassign_parent(survivor, other, ctx.today)
        if other.details.parent and other.details.parent != survivor.id:
            old_parent = current(ctx.load(Partner, other.details.parent))
            old_parent.detach_child(other.id)
        _merge_accounts(ctx, survivor.id, other.id, current)
    return Result(ctx.save(*touched.values()), survivor.id)


def _merge_accounts(ctx: CommandContext, survivor: UUID, absorbed: UUID, current: Any) -> None:
    """Open items and unapplied credit move with the partner, so the balances add up."""
    theirs = ctx.find(Account, Account.id_for(absorbed))
    if theirs is None:
        return
    ours = ctx.find(Account, Account.id_for(survivor)) or ctx.track(Account.open_for(survivor))
    current(ours).absorb(current(theirs), ctx.today)
