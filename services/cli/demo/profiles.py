"""What a demo partner looks like once registered: its roles, group, credit terms, tags, e-mail,
phone, website, tax id, sales reps and custom fields, its contacts with their duties and hours,
its addresses and its notes; each drawn from the partner's plan and country."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from commands.partners import AddAddress, AddContact, AddNote, RegisterPartner
from services.cli.demo.context import REPS, SUPERVISOR
from services.cli.demo.plans import Plan, slug
from services.cli.demo.reference import Country, load

PARTNERS = load("partners")
TAGS = tuple(PARTNERS["tags"])
TITLES = {duty: tuple(titles) for duty, titles in PARTNERS["titles"].items()}
NOTES = PARTNERS["notes"]
# A contact's hours: (weekday, from, to).
AVAILABILITY: tuple[tuple[tuple[int, str, str], ...], ...] = tuple(
    tuple((day, start, end) for day in entry["weekdays"] for start, end in entry["hours"])
    for entry in PARTNERS["availability"]
)


class Profiles:
    def __init__(self, rng: random.Random, plans: list[Plan], today: Callable[[], date]) -> None:
        self.rng = rng
        self.plans = plans
        self.today = today

    def fill(self, pattern: str) -> str:
        return "".join(
            str(self.rng.randint(0, 9)) if ch == "#" else chr(self.rng.randint(65, 90)) if ch == "@" else ch
            for ch in pattern
        )

    def phone(self, country: Country) -> str:
        return f"{country.dial} {self.rng.randint(20, 99)} {self.rng.randint(100000, 9999999)}"

    def mobile(self, country: Country) -> str:
        return f"{country.dial} {self.rng.choice(country.mobiles)} {self.rng.randint(1000000, 9999999)}"

    def domain(self, plan: Plan) -> str:
        words = slug(plan.stem, plan.country.german).split("-")
        return "-".join(words[:3]) + "." + plan.country.tld

    def credit(self, plan: Plan, roles: Sequence[str], group: str | None) -> tuple[str, bool, int]:
        rng = self.rng
        if "customer" not in roles:
            return "0.00", True, 30
        if plan.kind == "person":
            return rng.choice(("0.00", "1000.00", "2500.00", "5000.00")), True, rng.choice((14, 14, 30))
        if plan.kind == "public":
            return "100000.00", rng.random() < 0.5, rng.choice((30, 60))
        if group == "G-VIP":
            return rng.choice(("50000.00", "100000.00", "250000.00")), True, rng.choice((45, 60))
        limit = rng.choices(
            ("0.00", "5000.00", "10000.00", "15000.00", "25000.00", "50000.00"), (15, 15, 25, 15, 20, 10)
        )[0]
        return limit, rng.random() > 0.05, rng.choice((10, 14, 30, 30, 30, 45, 60))

    def customer_since(self) -> str:
        start = self.today()
        first = date(2008, 1, 1).toordinal()
        return date.fromordinal(self.rng.randint(first, start.toordinal() - 60)).isoformat()

    def register_command(self, index: int) -> RegisterPartner:
        rng = self.rng
        plan = self.plans[index]
        country = plan.country
        source = self.plans[plan.source] if plan.source is not None else None
        kind = "person" if plan.kind == "person" else "organization"
        # roles and group
        if plan.role:
            roles = plan.role.split("+")
        elif plan.kind == "person":
            roles = ["customer"] if rng.random() < 0.6 else ["prospect"]
        elif plan.kind == "public":
            roles = ["customer"]
        elif plan.kind == "child" and source and source.command:
            roles = [r.value for r in source.command.roles]
        elif plan.kind == "duplicate":
            roles = ["prospect"]
        else:
            roll = rng.random()
            roles = (
                ["customer"]
                if roll < 0.5
                else ["prospect"]
                if roll < 0.7
                else ["vendor"]
                if roll < 0.85
                else ["customer", "vendor"]
            )
        if plan.group or plan.kind == "duplicate":
            group = plan.group
        elif plan.kind == "public":
            group = "G-PUBLIC"
        elif plan.kind == "child" and source and source.command:
            group = source.command.group
        elif plan.kind == "person":
            group = rng.choice(("G-RETAIL", "G-RETAIL", None))
        elif roles == ["vendor"]:
            group = None
        elif "customer" in roles:
            group = rng.choices(("G-WHOLESALE", "G-RETAIL", "G-VIP", None), (35, 30, 12, 23))[0]
        else:
            group = rng.choices(("G-RETAIL", "G-WHOLESALE", None), (40, 30, 30))[0]
        limit, check, terms = self.credit(plan, roles, group)
        if plan.kind == "duplicate":
            limit, check, terms = "0.00", True, 30
        # tags
        tags = rng.sample(TAGS, rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0])
        if group == "G-VIP":
            tags = ["Key account", *tags]
        if plan.kind == "public":
            tags = ["Public tender", "E-invoicing"]
        if "vendor" in roles and rng.random() < 0.7:
            tags.append("Approved supplier")
        if plan.kind == "duplicate":
            tags = ["Trade fair lead"]
        # contact data
        if plan.kind == "person":
            first, last = plan.name.split(" ", 1)
            email: str | None = (
                f"{slug(first, country.german, '.')}.{slug(last, country.german, '.')}@{rng.choice(country.mail)}"
            )
            phone: str | None = self.mobile(country)
            website = None
            tax_id = None
        else:
            domain = self.domain(plan)
            email = f"{rng.choice(('info', 'office', 'contact', 'sales'))}@{domain}"
            phone = self.phone(country)
            website = f"https://www.{domain}" if rng.random() < 0.85 else None
            tax_id = self.fill(country.vat) if plan.kind != "public" else None
        if plan.kind == "duplicate" and source and source.command:
            tax_id = source.command.tax_id if rng.random() < 0.5 else None
            email = email if rng.random() < 0.5 else None
            website = None
        # sales reps
        reps: list[str] = []
        if roles != ["vendor"]:
            reps = [country.rep]
            if rng.random() < 0.15:
                reps.append(rng.choice([r for r in REPS if r != country.rep]))
            if group == "G-VIP":
                reps.append(SUPERVISOR)
        if plan.kind == "duplicate":
            reps = [rng.choice([r for r in REPS if r != country.rep])]
        currency = country.currency if country.currency != "EUR" and rng.random() < 0.5 else "EUR"
        custom: dict[str, Any] = {}
        if plan.industry:
            custom["industry"] = plan.industry
        if "customer" in roles and plan.kind != "duplicate":
            custom["customer_since"] = self.customer_since()
        notes_private = ""
        if plan.kind == "duplicate":
            notes_private = "Typed in from the trade fair contact list; check for an existing account."
        return RegisterPartner.model_validate(
            {
                "name": plan.name,
                "kind": kind,
                "roles": roles,
                "group": group,
                "tags": tags,
                "tax_id": tax_id,
                "email": email,
                "phone": phone,
                "website": website,
                "language": country.language,
                "currency": currency,
                "credit_limit": limit,
                "credit_check": check,
                "payment_terms_days": terms,
                "sales_reps": reps,
                "notes_private": notes_private,
                "parent": source.ref if plan.kind == "child" and source else None,
                "custom_fields": custom,
            }
        )

    def contacts(self, index: int) -> list[AddContact]:
        rng = self.rng
        plan = self.plans[index]
        country = plan.country
        command = plan.command
        assert command is not None
        if plan.kind == "person":
            return [
                AddContact(
                    partner=plan.ref,
                    name=plan.name,
                    email=command.email,
                    mobile=command.phone,
                    responsibilities=["billing"],
                )
            ]
        if plan.kind == "duplicate":
            duties: list[list[str]] = [["purchasing"]]
        else:
            n = rng.choices((1, 2, 3), (30, 45, 25))[0]
            if n == 1:
                duties = [rng.choice((["management", "billing"], ["billing"]))]
            else:
                duties = [[rng.choice(("management", "purchasing"))], ["billing"]]
                if n == 3:
                    duties.append([rng.choice(("technical", "shipping"))])
        domain = self.domain(plan)
        result = []
        used: set[str] = set()
        for resp in duties:
            first, last = rng.choice(country.first_names), rng.choice(country.surnames)
            while f"{first} {last}" in used:
                first, last = rng.choice(country.first_names), rng.choice(country.surnames)
            used.add(f"{first} {last}")
            hours = rng.choice(AVAILABILITY)
            custom: dict[str, Any] = {}
            if rng.random() < 0.4:
                handle = f"{slug(first, country.german)}-{slug(last, country.german)}-{rng.randint(100, 9999)}"
                custom["linkedin"] = f"https://www.linkedin.com/in/{handle}"
            local = f"{slug(first, country.german, '.')}.{slug(last, country.german, '.')}"
            result.append(
                AddContact.model_validate(
                    {
                        "partner": plan.ref,
                        "name": f"{first} {last}",
                        "title": rng.choice(TITLES[resp[0]]),
                        "email": f"{local}@{domain}",
                        "mobile": self.mobile(country) if rng.random() < 0.7 else None,
                        "phone": f"{command.phone} {rng.randint(10, 99)}" if command.phone else None,
                        "responsibilities": resp,
                        "availability": [{"weekday": d, "from": s, "to": e} for d, s, e in hours],
                        "custom_fields": custom,
                    }
                )
            )
        return result

    def addresses(self, index: int) -> list[AddAddress]:
        rng = self.rng
        plan = self.plans[index]
        country = plan.country

        def street() -> str:
            return rng.choice(country.streets).format(n=rng.randint(1, 180))

        city, region = rng.choice(country.cities)
        if plan.kind == "duplicate":
            return [
                AddAddress(
                    partner=plan.ref,
                    usage=["shipping"],
                    label="Delivery address",
                    street=street(),
                    city=city,
                    postal_code=self.fill(country.postal),
                    region=region,
                    country=country.code,
                )
            ]
        first = AddAddress(
            partner=plan.ref,
            usage=["billing", "shipping"] if plan.kind != "person" else ["billing", "shipping", "tax"],
            label="Home" if plan.kind == "person" else "Head office",
            street=street(),
            city=city,
            postal_code=self.fill(country.postal),
            region=region,
            country=country.code,
            is_default=True,
        )
        result = [first]
        if plan.kind != "person" and rng.random() < 0.35:
            city2, region2 = rng.choice(country.cities)
            kind = rng.choice(("warehouse", "shipping", "remit"))
            result.append(
                AddAddress.model_validate(
                    {
                        "partner": plan.ref,
                        "usage": ["shipping", "warehouse"] if kind == "warehouse" else [kind],
                        "label": {"warehouse": "Warehouse", "shipping": "Branch", "remit": "Accounting office"}[kind],
                        "street": street(),
                        "city": city2,
                        "postal_code": self.fill(country.postal),
                        "region": region2,
                        "country": country.code,
                        "is_default": kind == "warehouse",
                    }
                )
            )
        return result

    def notes(self, index: int) -> list[AddNote]:
        rng = self.rng
        plan = self.plans[index]
        if plan.kind == "duplicate":
            return []
        result = []
        for _ in range(rng.choices((0, 1, 2), (70, 24, 6))[0]):
            if rng.random() < 0.6:
                text = rng.choice(NOTES["public"]).format(
                    month=rng.choice(NOTES["months"]),
                    quarter=rng.randint(1, 4),
                    fair=rng.choice(NOTES["fairs"]),
                    range=rng.choice(NOTES["ranges"]),
                )
                result.append(AddNote(partner=plan.ref, text=text, visibility="public"))
            else:
                result.append(AddNote(partner=plan.ref, text=rng.choice(NOTES["private"]), visibility="private"))
        return result
