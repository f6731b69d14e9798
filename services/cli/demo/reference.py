"""The demo's reference data, read from the TOML files in ``data/``: the office, the countries the
partners come from and what they are made of, what the sales year sells, the service desk's
requests, the reps' activities and the texts of the templates. Each chapter reads the file it
needs; what several chapters share (countries, products, VAT) is typed here."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")


@cache
def load(name: str) -> dict[str, Any]:
    """``data/<name>.toml``, read once: shared, so never to be changed."""
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def tuples(value: Any) -> Any:
    """Lists, and lists of lists, as tuples."""
    return tuple(tuples(item) for item in value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Country:
    """Where a partner comes from: what its names, addresses, numbers and e-mails look like
    (the fields are described in data/countries.toml)."""

    code: str
    local_name: str
    language: str
    currency: str
    tld: str
    dial: str
    rep: str
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    trades: tuple[tuple[str, str], ...]
    patterns: tuple[str, ...]
    forms: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    streets: tuple[str, ...]
    postal: str
    vat: str
    mobiles: tuple[str, ...]
    mail: tuple[str, ...]
    public: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    german: bool = False

    def brand_pool(self) -> tuple[str, ...]:
        return self.surnames + self.brands


# The countries with their weights, in the order they are drawn.
COUNTRIES: tuple[tuple[Country, int], ...] = tuple(
    (Country(**{key: tuples(value) for key, value in entry.items() if key != "weight"}), entry["weight"])
    for entry in load("countries")["country"]
)
COUNTRY = {c.code: c for c, _ in COUNTRIES}


@dataclass(frozen=True)
class Product:
    code: str
    description: str
    price: Decimal
    cost: Decimal
    quantities: tuple[int, int] = (1, 1)  # a line orders at least, at most
    reduced: bool = False  # the reduced German VAT rate (printed books)

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Product:
        quantities = tuples(entry.get("quantities", [1, 1]))
        price, cost = Decimal(entry["price"]), Decimal(entry["cost"])
        return cls(entry["code"], entry["description"], price, cost, quantities, entry.get("reduced", False))


SALES = load("sales")
CATALOGUE: tuple[Product, ...] = tuple(Product.of(entry) for entry in SALES["catalogue"])
FREIGHT = Product.of(SALES["freight"])
TAX_RATES = {code: Decimal(rate) for code, rate in SALES["vat"]["rates"].items()}
REDUCED_DE = Decimal(SALES["vat"]["reduced_de"])
