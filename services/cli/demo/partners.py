"""The first weeks: the office is set up, then the partners are registered in batches a few business
days apart, each with its contacts, addresses and notes; some prospects of earlier batches become
customers on the way. On the last day credit control places a few holds and the duplicates are
merged into their originals."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from commands.partners import (
    ChangePartner,
    MergePartners,
    PlaceCreditHold,
    add_address,
    add_contact,
    add_note,
    change_partner,
    merge_partners,
    place_credit_hold,
    register_partner,
)
from services.cli.demo.context import SEED, Demo
from services.cli.demo.office import set_up_office
from services.cli.demo.plans import Plan, Planner
from services.cli.demo.profiles import Profiles
from services.cli.demo.reference import load

MAX_DAYS = 60  # the partners' weeks end within this many days
HOLD_REASONS = load("partners")["hold_reasons"]


@dataclass
class Counts:
    partners: int = 0
    organizations: int = 0
    persons: int = 0
    contacts: int = 0
    addresses: int = 0
    notes: int = 0
    conversions: int = 0
    holds: int = 0
    merges: int = 0
    absorbed: int = 0
    subsidiaries: int = 0


class Partners:
    def __init__(self, demo: Demo, total: int) -> None:
        self.demo = demo
        self.total = max(0, total)
        self.rng = random.Random(SEED)
        self.counts = Counts()
        self.plans: list[Plan] = []
        self.task = demo.bar.add_task("Loading demo partners", total=self.total)

    def schedule(self, batches: int) -> list[date]:
        """The business day of each batch and, last, of the clean-up (holds and merges)."""
        start = self.demo.today()
        steps = batches
        budget = min(10, (MAX_DAYS - 2) // max(1, steps))
        days = [start]
        day = start
        for _ in range(steps):
            day += timedelta(days=self.rng.randint(3, max(3, budget - 2)))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            days.append(min(day, start + timedelta(days=MAX_DAYS)))
        return days

    def load(self) -> str:
        demo, c = self.demo, self.counts
        batches = max(1, min(8, self.total // 4))
        days = self.schedule(batches)
        demo.tick(days[0], time(8, 30))
        office = set_up_office(demo)
        self.plans = Planner(self.rng, self.total).build(batches)
        profiles = Profiles(self.rng, self.plans, demo.today)
        # By batch, then by plan (so a parent or original comes first).
        order = sorted(range(len(self.plans)), key=lambda i: (self.plans[i].batch, i))
        for batch in range(batches):
            if batch:
                demo.tick(days[batch], time(9, self.rng.randint(0, 59)))
                self.convert_prospects(batch)
            for index in order:
                if self.plans[index].batch == batch:
                    self.register(profiles, index)
        demo.tick(days[-1], time(10, 30))
        demo.bar.update(self.task, description="Credit holds and merges")
        self.place_holds()
        self.merge_duplicates()
        demo.container.runner.drain()
        demo.bar.update(self.task, description="Demo partners loaded", completed=self.total)
        return (
            f"{office}, {c.partners} partners ({c.organizations} organizations incl. {c.subsidiaries} subsidiaries, "
            f"{c.persons} persons; {c.partners - c.absorbed} active), {c.contacts} contacts, "
            f"{c.addresses} addresses, {c.notes} notes, {c.conversions} prospects converted, "
            f"{c.holds} credit holds, {c.merges} merges ({c.absorbed} duplicates absorbed)"
        )

    def register(self, profiles: Profiles, index: int) -> None:
        plan = self.plans[index]
        command = profiles.register_command(index)
        result = self.demo.run(register_partner, command)
        plan.command = command
        plan.ref = str(result.id)
        self.counts.partners += 1
        if command.kind and command.kind.value == "person":
            self.counts.persons += 1
        else:
            self.counts.organizations += 1
        if plan.kind == "child":
            self.counts.subsidiaries += 1
        for contact in profiles.contacts(index):
            self.demo.run(add_contact, contact)
            self.counts.contacts += 1
        for address in profiles.addresses(index):
            self.demo.run(add_address, address)
            self.counts.addresses += 1
        for note in profiles.notes(index):
            self.demo.run(add_note, note)
            self.counts.notes += 1
        self.demo.bar.advance(self.task)

    def convert_prospects(self, batch: int) -> None:
        """Some prospects of earlier batches became customers meanwhile."""
        rng = self.rng
        for plan in self.plans:
            command = plan.command
            if plan.batch >= batch or command is None or plan.kind in ("duplicate", "child"):
                continue
            if [r.value for r in command.roles] != ["prospect"] or rng.random() >= 0.15:
                continue
            limit = "2500.00" if plan.kind == "person" else rng.choice(("5000.00", "10000.00", "25000.00"))
            change = ChangePartner.model_validate(
                {
                    "partner": plan.ref,
                    "roles": ["customer"],
                    "credit_limit": limit,
                    "payment_terms_days": 30,
                    "custom_fields": {"customer_since": self.demo.today().isoformat()},
                }
            )
            self.demo.run(change_partner, change)
            plan.command = command.model_copy(update={"roles": change.roles, "credit_limit": change.credit_limit})
            self.counts.conversions += 1

    def place_holds(self) -> None:
        involved = {p.source for p in self.plans if p.kind == "duplicate"}
        candidates = [
            p
            for i, p in enumerate(self.plans)
            if p.kind == "org"
            and i not in involved
            and p.command is not None
            and "customer" in [r.value for r in p.command.roles]
            and p.command.credit_limit
            and p.command.credit_limit > 0
        ]
        wanted = 0 if self.total < 10 else 2 if self.total < 200 else 3
        for n, plan in enumerate(self.rng.sample(candidates, min(wanted, len(candidates)))):
            self.demo.run(place_credit_hold, PlaceCreditHold(partner=plan.ref, reason=HOLD_REASONS[n]))
            plan.held = True
            self.counts.holds += 1

    def merge_duplicates(self) -> None:
        absorbed: dict[int, list[str]] = {}
        for plan in self.plans:
            if plan.kind == "duplicate" and plan.source is not None and plan.ref:
                absorbed.setdefault(plan.source, []).append(plan.ref)
        for original, codes in absorbed.items():
            self.demo.run(merge_partners, MergePartners(partner=self.plans[original].ref, absorb=codes))
            self.counts.merges += 1
            self.counts.absorbed += len(codes)
