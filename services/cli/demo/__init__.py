"""The demo data set: users, partner groups, custom fields and a few hundred European business
partners with contacts, addresses, notes, credit holds, subsidiaries and merged duplicates, then a
year of sales, dunning, requests and activities, a newsletter and campaigns, all recorded through
the commands while the manual business clock moves forward (loader.py tells the story).

One module per chapter; the reference data (names, streets, products, template texts…) is in
data/*.toml, read by reference.py."""

from services.cli.demo.banner import banner
from services.cli.demo.loader import already_loaded, holds_demo, load_demo
from services.cli.demo.portal import portal_invite

__all__ = ["already_loaded", "banner", "holds_demo", "load_demo", "portal_invite"]
