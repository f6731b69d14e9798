"""Collection commands: define schemes, and collect partners on a run date.

A run is ``collect_partners`` commands over chunks of partners (each partner decided on its own
and saved in a transaction of its own) and a ``complete_run``. Every effect has a deterministic id
or a guard (a case reaches a level once, a fee is booked once per partner/level/run, interest once
per invoice and level), so re-running a date, a crash in the middle, or two workers racing add
nothing twice.

``schemes``: define a scheme, find a partner's; ``run``: the run and one partner's decisions;
``chunk``: a chunk of partners read in a few queries and collected partner by partner;
``actions``: what each action type does (a table from type to executor); ``messages``: the
e-mail, SMS and letter actions and a collection template's variables; ``closing``: settlement."""

from commands.collection.actions import EXECUTORS
from commands.collection.chunk import Collected, CollectPartners, collect_partners
from commands.collection.closing import SettleCases, close_settled_cases, settle_cases
from commands.collection.group import Firing, Group, PartnerReport
from commands.collection.messages import template_variables
from commands.collection.run import CollectPartner, CompleteRun, StartRun, complete_run, decide_partner, start_run
from commands.collection.schemes import ActionIn, DefineScheme, LevelIn, collection_settings, define_scheme, scheme_for

__all__ = [
    "EXECUTORS",
    "ActionIn",
    "CollectPartner",
    "CollectPartners",
    "Collected",
    "CompleteRun",
    "DefineScheme",
    "Firing",
    "Group",
    "LevelIn",
    "PartnerReport",
    "SettleCases",
    "StartRun",
    "close_settled_cases",
    "collect_partners",
    "collection_settings",
    "complete_run",
    "decide_partner",
    "define_scheme",
    "scheme_for",
    "settle_cases",
    "start_run",
    "template_variables",
]
