"""Who the demo's partners are, before any is registered: organisations, public bodies and persons
from the countries of data/countries.toml under unique names, subsidiaries of a few organisations
abroad, and duplicates of a few others typed in again, each in the batch it is registered with."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from commands.partners import RegisterPartner
from services.cli.demo.reference import COUNTRIES, COUNTRY, Country, load

ANCHORS = load("partners")["anchor"]

_TRANSLIT = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe"})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_fold(text: str, german: bool = False) -> str:
    if german:
        text = text.translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def slug(text: str, german: bool = False, sep: str = "-") -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_fold(text, german).lower().replace("'", "")).split()
    return sep.join(words)


@dataclass
class Plan:
    """One partner to register: what kind, from where, under which name."""

    kind: str  # org, public, person, child, duplicate
    country: Country
    name: str
    stem: str = ""  # the name without the legal form
    industry: str | None = None
    role: str | None = None  # anchors fix their roles and group
    group: str | None = None
    source: int | None = None  # the parent of a child, the original of a duplicate
    batch: int = 0
    ref: str = ""  # the partner id, once registered
    command: RegisterPartner | None = None
    held: bool = False  # placed on credit hold


class Planner:
    def __init__(self, rng: random.Random, total: int) -> None:
        self.rng = rng
        self.total = total
        self.used: set[str] = set()  # the names taken, case-folded
        self.plans: list[Plan] = []

    def sizes(self) -> tuple[int, int, int]:
        """(merges, extra duplicates absorbed by the first merge, subsidiaries)."""
        n = self.total
        merges = min(5, 3 + n // 150) if n >= 12 else n // 6
        extra = 1 if n >= 100 else 0
        children = 0 if n < 20 else min(8, max(2, n // 50))
        return merges, extra, children

    # -- names ---------------------------------------------------------------------------------

    def pick_country(self) -> Country:
        countries = [c for c, _ in COUNTRIES]
        weights = [w for _, w in COUNTRIES]
        return self.rng.choices(countries, weights)[0]

    def unique(self, make: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        for _ in range(40):
            name, stem = make()
            if name.casefold() not in self.used:
                self.used.add(name.casefold())
                return name, stem
        name, stem = make()
        n = 2
        while f"{name} {n}".casefold() in self.used:
            n += 1
        self.used.add(f"{name} {n}".casefold())
        return f"{name} {n}", stem

    def org_plan(self, country: Country) -> Plan:
        rng = self.rng
        trade, industry = rng.choice(country.trades)

        def make() -> tuple[str, str]:
            brand, brand2 = rng.sample(country.brand_pool(), 2)
            stem = rng.choice(country.patterns).format(brand=brand, brand2=brand2, trade=trade)
            return f"{stem} {rng.choice(country.forms)}", stem

        name, stem = self.unique(make)
        return Plan("org", country, name, stem, industry)

    def public_plan(self) -> Plan:
        country = self.pick_country()
        while not country.public:
            country = self.pick_country()

        def make() -> tuple[str, str]:
            city = self.rng.choice(country.cities)[0]
            name = self.rng.choice(country.public).format(city=city)
            return name, name

        name, stem = self.unique(make)
        return Plan("public", country, name, stem, "Public administration")

    def person_plan(self, country: Country) -> Plan:
        def make() -> tuple[str, str]:
            name = f"{self.rng.choice(country.first_names)} {self.rng.choice(country.surnames)}"
            return name, name

        name, stem = self.unique(make)
        return Plan("person", country, name, stem)

    def child_plan(self, parent_index: int) -> Plan:
        parent = self.plans[parent_index]
        options = [c for c, _ in COUNTRIES if c.code != parent.country.code]
        country = self.rng.choice(options)

        def make() -> tuple[str, str]:
            base = parent.stem if parent.kind != "public" else parent.name
            return f"{base} {country.local_name} {self.rng.choice(country.forms)}", f"{base} {country.local_name}"

        name, stem = self.unique(make)
        return Plan("child", country, name, stem, parent.industry, source=parent_index)

    def duplicate_plan(self, original_index: int, variant: int) -> Plan:
        """The same organisation typed in again: transliterated, with its legal form spelt
        differently or left out, or with the words of its name swapped."""
        original = self.plans[original_index]
        name, stem = original.name, original.stem
        form = name[len(stem) :].strip()
        words = stem.split(" ")
        variants = [
            ascii_fold(name, german=True),
            f"{stem} {form.replace('.', '').replace(' ', '')}".strip(),
            stem,
            f"{words[1]} {words[0]} {form}".strip() if len(words) == 2 else name,
        ]
        k = variant % len(variants)
        chosen = next(
            (v for v in variants[k:] + variants[:k] if v != name and v.casefold() not in self.used),
            f"{name} (old account)",
        )
        self.used.add(chosen.casefold())
        return Plan("duplicate", original.country, chosen, stem, original.industry, source=original_index)

    # -- the plans -----------------------------------------------------------------------------

    def build(self, batches: int) -> list[Plan]:
        """The plans, each with its batch: the anchors and ordinary partners over all batches,
        subsidiaries after their parent, duplicates near the end."""
        merges, extra, children = self.sizes()
        regular = self.total - merges - extra - children
        for anchor in ANCHORS[: max(0, regular)]:
            self.used.add(anchor["name"].casefold())
            country = COUNTRY[anchor["country"]]
            self.plans.append(
                Plan(
                    "org", country, anchor["name"], anchor["stem"], anchor["industry"], anchor["role"], anchor["group"]
                )
            )
        for _ in range(regular - len(self.plans)):
            roll = self.rng.random()
            country = self.pick_country()
            if roll < 0.2:
                self.plans.append(self.person_plan(country))
            elif roll < 0.27:
                self.plans.append(self.public_plan())
            else:
                self.plans.append(self.org_plan(country))
        per_batch = max(1, -(-regular // batches)) if regular else 1
        for i, plan in enumerate(self.plans):
            plan.batch = min(batches - 1, i // per_batch)
        anchors = list(range(min(regular, len(ANCHORS))))
        half = [i for i, p in enumerate(self.plans[: max(1, regular // 2)]) if p.kind == "org"]
        others = [i for i in half if i not in anchors]
        # Subsidiaries of organisations from the first half (Müller Metallbau's first), registered
        # in a later batch than their parent.
        parents = ([0] if 0 in half else []) + self.rng.sample(others, min(len(others), max(0, children - 1)))
        for parent_index in parents[:children]:
            child = self.child_plan(parent_index)
            child.batch = self.rng.randint(min(batches - 1, self.plans[parent_index].batch + 1), batches - 1)
            self.plans.append(child)
        # Duplicates of the anchors and of a few other organisations (never a parent), typed in
        # again from a trade fair list near the end; the first original gets two.
        spare = [i for i in others if i not in parents]
        originals = (anchors + self.rng.sample(spare, min(len(spare), max(0, merges - len(anchors)))))[:merges]
        for n, original in enumerate(originals):
            copies = 2 if n == 0 and extra else 1
            for k in range(copies):
                duplicate = self.duplicate_plan(original, n + 2 * k)
                duplicate.batch = max(self.plans[original].batch, batches - 1 - self.rng.randint(0, 1))
                self.plans.append(duplicate)
        # Too few organisations for all subsidiaries or duplicates: more ordinary partners instead.
        while len(self.plans) < self.total:
            extra_plan = self.org_plan(self.pick_country())
            extra_plan.batch = self.rng.randint(0, batches - 1)
            self.plans.append(extra_plan)
        return self.plans
