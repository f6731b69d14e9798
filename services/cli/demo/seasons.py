"""The season promotions (WINTER27, SPRING27, …) that quotes and invoices name: each is planned,
for its whole season and with an agency's cost, the first time a document names it, because a
document may only name a campaign that exists."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from commands.campaigns import PlanCampaign, plan_campaign
from services.cli.demo.context import SEED, Demo
from services.cli.demo.reference import load

SEASONS_SEED = SEED + 11
NAMES = load("marketing")["seasons"]
ORDER = ("WINTER", "SPRING", "SUMMER", "AUTUMN")


def season_of(day: date) -> tuple[str, int]:
    """The season a day falls in and the year it is named after (December is next year's winter)."""
    return ORDER[day.month % 12 // 3], day.year + (1 if day.month == 12 else 0)


def season_period(season: str, year: int) -> tuple[date, date]:
    first_month = {"WINTER": 12, "SPRING": 3, "SUMMER": 6, "AUTUMN": 9}[season]
    start = date(year - 1 if season == "WINTER" else year, first_month, 1)
    after = date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)
    return start, after - timedelta(days=1)


class Seasons:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.rng = random.Random(SEASONS_SEED)
        self.planned: list[str] = []

    def promotion(self, day: date) -> str:
        """The code of the season promotion running on ``day``, planned if it is not yet."""
        season, year = season_of(day)
        code = f"{season}{year % 100:02d}"
        if code not in self.planned:
            start, end = season_period(season, year)
            name = f"{NAMES.get(season, season.title())} {year} promotion"
            cost = Decimal(self.rng.randrange(12, 40) * 100)
            self.demo.run(plan_campaign, PlanCampaign(code=code, name=name, start_date=start, end_date=end, cost=cost))
            self.planned.append(code)
        return code
