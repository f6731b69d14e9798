"""The demo data set: users, partner groups, custom fields and a few hundred European business
partners with contacts, addresses, notes, credit holds, subsidiaries and merged duplicates, and
then a year of sales: quotes, orders, invoices, credit notes, payments, disputes, promises, grace
periods and recurring invoices.

Everything goes through the public command functions, exactly as the API would record it, while
the manual business clock is moved forward a few days between batches, so the partners are
created over several weeks of business time and the sales over the rest of the year, with the
day jobs (quote expiry, recurring invoices) run at every day start on the way. The random
generators are seeded: the same number of partners and days gives the same names, codes,
documents and figures every time (only ids and wall-clock timestamps differ)."""

from __future__ import annotations

import heapq
import json
import random
import time as timer
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID, uuid4

from rich.progress import Progress
from sqlalchemy import case, func, select

from aggregates.account import Account
from aggregates.activity import ActivityKind
from aggregates.errors import Conflict
from aggregates.partner import Availability, Partner
from aggregates.request import Confidentiality, Priority, RequestStatus, Visibility
from aggregates.sales_document import SalesDocument
from aggregates.user import User
from commands.activities import CompleteActivity, RecordActivity, complete_activity, record_activity
from commands.campaigns import (
    AddCampaignCost,
    LaunchCampaign,
    PlanCampaign,
    TargetIn,
    add_campaign_cost,
    launch_campaign,
    plan_campaign,
)
from commands.collection import DefineScheme, define_scheme
from commands.context import CommandContext, Result
from commands.custom_fields import DefineCustomField, define_custom_field
from commands.documents import (
    AcceptQuote,
    CancelDocument,
    ConvertDocument,
    DisputeInvoice,
    DraftDocument,
    GrantGrace,
    IssueDocument,
    LineQuantity,
    PromisePayment,
    QuoteSettings,
    RefuseQuote,
    ResolveDispute,
    accept_quote,
    cancel_document,
    convert_document,
    dispute_invoice,
    draft_document,
    grant_grace,
    issue_document,
    promise_payment,
    refuse_quote,
    resolve_dispute,
    set_quote_settings,
)
from commands.inbound_email import ReceiveEmail, receive_email
from commands.interest_areas import (
    CreateInterestArea,
    OptOut,
    OptOutContact,
    Subscribe,
    create_interest_area,
    opt_out,
    opt_out_contact,
    subscribe,
)
from commands.mailings import MailingSpec, send_mailing
from commands.messages import CreateTemplate, create_template
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.partners import (
    AddAddress,
    AddContact,
    AddNote,
    ChangePartner,
    MergePartners,
    PlaceCreditHold,
    RegisterPartner,
    add_address,
    add_contact,
    add_note,
    change_partner,
    merge_partners,
    place_credit_hold,
    register_partner,
)
from commands.payments import ReceivePayment, receive_payment
from commands.portal import IssuePortalToken, issue_portal_token
from commands.recurring_invoices import (
    CreateRecurringInvoice,
    SuspendRecurringInvoice,
    create_recurring_invoice,
    suspend_recurring_invoice,
)
from commands.requests import (
    AddRoutingRule,
    AssignRequest,
    ChangeRequestStatus,
    CommentOnRequest,
    DefineRequestType,
    OpenRequest,
    add_routing_rule,
    assign_request,
    change_request_status,
    comment_on_request,
    define_request_type,
    open_request,
)
from commands.users import RegisterUser, register_user
from queries.campaigns import CampaignQueries
from queries.collection import CollectionQueries
from queries.mailings import MailingQueries
from queries.pages import PageRequest
from queries.requests import RequestQueries
from services.api.deps import hash_key
from services.api.portal import new_token
from services.bootstrap.container import Container
from services.workers.mailer import prepare
from services.workers.ports import Request

ACTOR = "demo"
SEED = 20260115
MAX_DAYS = 60
DAYS = 365  # the whole demo: the partners over the first weeks, then a year of sales
SUPERVISOR = "mhoffmann"

C = TypeVar("C")

# -- reference data ----------------------------------------------------------------------------------

USERS: list[dict[str, Any]] = [
    {
        "username": SUPERVISOR,
        "name": "Maria Hoffmann",
        "email": "maria.hoffmann@counterparty.example",
        "mobile": "+49 171 5550100",
        "teams": ["sales", "management"],
    },
    {
        "username": "anna",
        "name": "Anna Schneider",
        "email": "anna.schneider@counterparty.example",
        "mobile": "+49 171 5550101",
        "supervisor": SUPERVISOR,
        "teams": ["sales", "dach"],
    },
    {
        "username": "luca",
        "name": "Luca Bianchi",
        "email": "luca.bianchi@counterparty.example",
        "mobile": "+39 347 5550102",
        "supervisor": SUPERVISOR,
        "teams": ["sales", "south"],
    },
    {
        "username": "sofia",
        "name": "Sofia Lindqvist",
        "email": "sofia.lindqvist@counterparty.example",
        "mobile": "+46 70 5550103",
        "supervisor": SUPERVISOR,
        "teams": ["sales", "north"],
    },
    {
        "username": "pierre",
        "name": "Pierre Lefèvre",
        "email": "pierre.lefevre@counterparty.example",
        "mobile": "+33 6 55501040",
        "supervisor": SUPERVISOR,
        "teams": ["sales", "west"],
    },
    {
        "username": "tkowalski",
        "name": "Tomasz Kowalski",
        "email": "tomasz.kowalski@counterparty.example",
        "mobile": "+48 601 555105",
        "supervisor": SUPERVISOR,
        "teams": ["finance", "credit-control"],
    },
]
REPS = ("anna", "luca", "sofia", "pierre")

GROUPS: list[dict[str, Any]] = [
    {"code": "G-RETAIL", "name": "Retail", "credit_watch_percent": "85.00"},
    {"code": "G-WHOLESALE", "name": "Wholesale and distribution", "credit_watch_percent": "90.00"},
    {"code": "G-PUBLIC", "name": "Public sector", "credit_watch_percent": "95.00", "request_priority_boost": 1},
    {"code": "G-VIP", "name": "Key accounts", "credit_watch_percent": "75.00", "request_priority_boost": 2},
]

INDUSTRIES = (
    "Manufacturing",
    "Construction",
    "Retail",
    "Wholesale",
    "Logistics",
    "Hospitality",
    "Public administration",
    "Healthcare",
    "IT services",
    "Agriculture",
    "Energy",
)

CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"entity": "partner", "code": "industry", "label": "Industry", "type": "select", "options": list(INDUSTRIES)},
    {"entity": "partner", "code": "customer_since", "label": "Customer since", "type": "date"},
    {"entity": "contact", "code": "linkedin", "label": "LinkedIn profile", "type": "url"},
]


@dataclass(frozen=True)
class Country:
    code: str
    local_name: str
    language: str
    currency: str
    tld: str
    dial: str
    rep: str
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    trades: tuple[tuple[str, str], ...]  # (word, industry)
    patterns: tuple[str, ...]  # name stems: {brand} {brand2} {trade}
    forms: tuple[str, ...]  # legal forms, repeated for weight
    cities: tuple[tuple[str, str], ...]  # (city, region)
    streets: tuple[str, ...]  # with {n}
    postal: str  # '#' a digit, '@' a letter
    vat: str
    mobiles: tuple[str, ...]
    mail: tuple[str, ...]  # consumer mail providers
    public: tuple[str, ...] = ()  # public bodies, with {city}
    brands: tuple[str, ...] = ()  # company name stems besides the surnames
    german: bool = False  # ä → ae, ö → oe, ü → ue in e-mail addresses

    def brand_pool(self) -> tuple[str, ...]:
        return self.surnames + self.brands


# fmt: off
COUNTRIES: tuple[tuple[Country, int], ...] = (
    (
        Country(
            code="DE",
            local_name="Deutschland",
            language="de",
            currency="EUR",
            tld="de",
            dial="+49",
            rep="anna",
            surnames=(
                "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
                "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Braun", "Zimmermann",
                "Krüger", "Hartmann", "Lange", "Köhler", "Vogel", "Jäger",
            ),
            first_names=(
                "Lukas", "Jonas", "Felix", "Thomas", "Stefan", "Michael", "Andreas", "Katharina", "Julia",
                "Sabine", "Claudia", "Laura", "Sarah", "Jan", "Tobias", "Petra", "Monika", "Markus", "Jürgen",
            ),
            trades=(
                ("Metallbau", "Manufacturing"), ("Maschinenbau", "Manufacturing"), ("Holzhandel", "Wholesale"),
                ("Elektrotechnik", "Construction"), ("Logistik", "Logistics"), ("Baustoffe", "Wholesale"),
                ("Druckerei", "Manufacturing"), ("Kunststofftechnik", "Manufacturing"),
                ("Getränkehandel", "Wholesale"), ("Gastronomiebedarf", "Hospitality"),
                ("Medizintechnik", "Healthcare"), ("IT-Systemhaus", "IT services"), ("Agrarhandel", "Agriculture"),
                ("Solartechnik", "Energy"), ("Bürobedarf", "Retail"), ("Dachdeckerei", "Construction"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}", "{brand} & {brand2} {trade}", "{trade} {brand}"),
            forms=("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "KG", "AG", "e.K."),
            cities=(
                ("München", "Bayern"), ("Hamburg", "Hamburg"), ("Stuttgart", "Baden-Württemberg"),
                ("Köln", "Nordrhein-Westfalen"), ("Leipzig", "Sachsen"), ("Nürnberg", "Bayern"),
                ("Hannover", "Niedersachsen"), ("Dortmund", "Nordrhein-Westfalen"),
                ("Freiburg im Breisgau", "Baden-Württemberg"), ("Bremen", "Bremen"),
            ),
            streets=(
                "Industriestraße {n}", "Hauptstraße {n}", "Gewerbepark {n}", "Bahnhofstraße {n}", "Am Hafen {n}",
                "Lindenweg {n}", "Schillerstraße {n}",
            ),
            postal="#####",
            vat="DE#########",
            mobiles=("151", "160", "171", "176"),
            mail=("gmx.de", "web.de", "t-online.de"),
            public=("Stadtwerke {city}", "Landratsamt {city}", "Universitätsklinikum {city}"),
            german=True,
        ),
        22,
    ),
    (
        Country(
            code="AT",
            local_name="Österreich",
            language="de-AT",
            currency="EUR",
            tld="at",
            dial="+43",
            rep="anna",
            surnames=(
                "Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner",
                "Berger", "Fuchs", "Eder", "Schwarz",
            ),
            first_names=(
                "Florian", "Matthias", "Lena", "Anna", "Christoph", "Elisabeth", "Georg", "Johanna", "David",
                "Teresa",
            ),
            trades=(
                ("Holzbau", "Construction"), ("Fenster", "Manufacturing"), ("Transporte", "Logistics"),
                ("Hotelbedarf", "Hospitality"), ("Elektro", "Construction"), ("Landtechnik", "Agriculture"),
                ("Edelstahl", "Manufacturing"), ("Weinhandel", "Wholesale"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}", "{trade} {brand}"),
            forms=("GmbH", "GmbH", "GmbH", "KG", "OG", "e.U."),
            cities=(
                ("Wien", "Wien"), ("Graz", "Steiermark"), ("Linz", "Oberösterreich"), ("Salzburg", "Salzburg"),
                ("Innsbruck", "Tirol"), ("Klagenfurt", "Kärnten"),
            ),
            streets=("Gewerbestraße {n}", "Hauptplatz {n}", "Mariahilfer Straße {n}", "Industriezeile {n}"),
            postal="####",
            vat="ATU########",
            mobiles=("650", "664", "676", "699"),
            mail=("gmx.at", "aon.at", "chello.at"),
            public=("Magistrat {city}", "Landeskrankenhaus {city}"),
            german=True,
        ),
        8,
    ),
    (
        Country(
            code="CH",
            local_name="Schweiz",
            language="de-CH",
            currency="CHF",
            tld="ch",
            dial="+41",
            rep="anna",
            surnames=(
                "Meier", "Keller", "Brunner", "Baumann", "Frei", "Gerber", "Widmer", "Schmid", "Zürcher", "Huber",
                "Steiner", "Moser",
            ),
            first_names=(
                "Reto", "Urs", "Beat", "Nicole", "Sandra", "Daniel", "Simone", "Martin", "Corinne", "Lukas",
            ),
            trades=(
                ("Präzisionstechnik", "Manufacturing"), ("Uhrenteile", "Manufacturing"), ("Käserei", "Agriculture"),
                ("Bau", "Construction"), ("Haustechnik", "Construction"), ("Logistik", "Logistics"),
                ("Software", "IT services"), ("Pharmalogistik", "Healthcare"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}", "{brand} + {brand2} {trade}"),
            forms=("AG", "AG", "GmbH"),
            cities=(
                ("Zürich", "ZH"), ("Basel", "BS"), ("Bern", "BE"), ("Luzern", "LU"), ("St. Gallen", "SG"),
                ("Winterthur", "ZH"),
            ),
            streets=("Bahnhofstrasse {n}", "Industriestrasse {n}", "Seestrasse {n}", "Dorfstrasse {n}"),
            postal="####",
            vat="CHE-###.###.### MWST",
            mobiles=("76", "78", "79"),
            mail=("bluewin.ch", "gmx.ch", "sunrise.ch"),
            public=("Gemeindeverwaltung {city}", "Kantonsspital {city}"),
            german=True,
        ),
        6,
    ),
    (
        Country(
            code="IT",
            local_name="Italia",
            language="it",
            currency="EUR",
            tld="it",
            dial="+39",
            rep="luca",
            surnames=(
                "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
                "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
                "Moretti",
            ),
            first_names=(
                "Marco", "Giulia", "Alessandro", "Francesca", "Matteo", "Chiara", "Andrea", "Sara", "Lorenzo",
                "Elena", "Davide", "Valentina", "Paolo", "Silvia",
            ),
            trades=(
                ("Forniture", "Wholesale"), ("Arredamenti", "Retail"), ("Meccanica", "Manufacturing"),
                ("Costruzioni", "Construction"), ("Trasporti", "Logistics"), ("Alimentari", "Wholesale"),
                ("Tessile", "Manufacturing"), ("Impianti Elettrici", "Construction"),
                ("Ceramiche", "Manufacturing"), ("Vini", "Agriculture"), ("Informatica", "IT services"),
                ("Energia", "Energy"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}", "{trade} {brand}", "{brand} & {brand2} {trade}"),
            forms=("S.r.l.", "S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."),
            cities=(
                ("Milano", "Lombardia"), ("Torino", "Piemonte"), ("Bologna", "Emilia-Romagna"),
                ("Verona", "Veneto"), ("Napoli", "Campania"), ("Firenze", "Toscana"), ("Padova", "Veneto"),
                ("Bergamo", "Lombardia"), ("Bari", "Puglia"),
            ),
            streets=(
                "Via Roma {n}", "Via Giuseppe Garibaldi {n}", "Corso Italia {n}", "Via dell'Industria {n}",
                "Viale Europa {n}", "Via Milano {n}",
            ),
            postal="#####",
            vat="IT###########",
            mobiles=("320", "333", "347", "348"),
            mail=("libero.it", "gmail.com", "virgilio.it"),
            public=("Comune di {city}", "Azienda Ospedaliera di {city}"),
        ),
        14,
    ),
    (
        Country(
            code="FR",
            local_name="France",
            language="fr",
            currency="EUR",
            tld="fr",
            dial="+33",
            rep="pierre",
            surnames=(
                "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
                "Laurent", "Lefebvre", "Girard", "Fontaine", "Rousseau", "Mercier",
            ),
            first_names=(
                "Camille", "Julien", "Nicolas", "Sophie", "Marie", "Antoine", "Céline", "Mathieu", "Émilie",
                "Pierre", "Claire", "Hugo", "Manon", "Olivier",
            ),
            trades=(
                ("Menuiserie", "Construction"), ("Transports", "Logistics"), ("Boulangeries", "Retail"),
                ("Électricité", "Construction"), ("Imprimerie", "Manufacturing"), ("Ateliers", "Manufacturing"),
                ("Fromagerie", "Agriculture"), ("Distribution", "Wholesale"), ("Informatique", "IT services"),
                ("Pharmacie", "Healthcare"), ("Énergies", "Energy"),
            ),
            patterns=("{trade} {brand}", "{trade} {brand}", "{brand} {trade}", "{trade} {brand} et Fils"),
            forms=("SAS", "SAS", "SARL", "SARL", "SA", "EURL"),
            cities=(
                ("Lyon", "Auvergne-Rhône-Alpes"), ("Lille", "Hauts-de-France"), ("Nantes", "Pays de la Loire"),
                ("Toulouse", "Occitanie"), ("Bordeaux", "Nouvelle-Aquitaine"), ("Strasbourg", "Grand Est"),
                ("Paris", "Île-de-France"), ("Rennes", "Bretagne"),
            ),
            streets=(
                "{n} rue de la République", "{n} avenue Jean Jaurès", "{n} rue des Artisans",
                "{n} boulevard Gambetta", "ZI Nord, {n} rue Ampère",
            ),
            postal="#####",
            vat="FR###########",
            mobiles=("6", "7"),
            mail=("orange.fr", "free.fr", "gmail.com"),
            public=("Mairie de {city}", "Centre Hospitalier de {city}"),
        ),
        12,
    ),
    (
        Country(
            code="ES",
            local_name="España",
            language="es",
            currency="EUR",
            tld="es",
            dial="+34",
            rep="luca",
            surnames=(
                "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
                "Ruiz", "Díaz", "Moreno", "Navarro", "Torres",
            ),
            first_names=(
                "Javier", "Lucía", "Carlos", "María", "Alejandro", "Carmen", "Pablo", "Laura", "Sergio", "Elena",
                "Diego", "Marta",
            ),
            trades=(
                ("Construcciones", "Construction"), ("Transportes", "Logistics"),
                ("Suministros Industriales", "Wholesale"), ("Distribuciones", "Wholesale"),
                ("Talleres", "Manufacturing"), ("Cerámicas", "Manufacturing"), ("Aceites", "Agriculture"),
                ("Hostelería", "Hospitality"), ("Sistemas", "IT services"), ("Solar", "Energy"),
            ),
            patterns=("{trade} {brand}", "{trade} {brand}", "{trade} {brand} e Hijos"),
            forms=("S.L.", "S.L.", "S.L.", "S.A.", "S.L.U."),
            cities=(
                ("Madrid", "Comunidad de Madrid"), ("Barcelona", "Cataluña"), ("Valencia", "Comunidad Valenciana"),
                ("Sevilla", "Andalucía"), ("Bilbao", "País Vasco"), ("Zaragoza", "Aragón"), ("Málaga", "Andalucía"),
            ),
            streets=(
                "Calle Mayor {n}", "Avenida de la Constitución {n}", "Polígono Industrial Norte, nave {n}",
                "Calle de Alcalá {n}", "Paseo de Gracia {n}",
            ),
            postal="#####",
            vat="ESB########",
            mobiles=("612", "655", "699", "722"),
            mail=("gmail.com", "telefonica.net", "hotmail.es"),
            public=("Ayuntamiento de {city}", "Hospital Universitario de {city}"),
        ),
        8,
    ),
    (
        Country(
            code="NL",
            local_name="Nederland",
            language="nl",
            currency="EUR",
            tld="nl",
            dial="+31",
            rep="sofia",
            surnames=(
                "De Jong", "Jansen", "De Vries", "Van den Berg", "Van Dijk", "Bakker", "Visser", "Smit", "Meijer",
                "Mulder", "De Boer", "Bos", "Vos", "Peters",
            ),
            first_names=(
                "Daan", "Sanne", "Bram", "Lotte", "Thijs", "Eva", "Ruben", "Femke", "Jeroen", "Anouk",
            ),
            trades=(
                ("Bouw", "Construction"), ("Transport", "Logistics"), ("Installatietechniek", "Construction"),
                ("Logistiek", "Logistics"), ("Bloemen", "Agriculture"), ("Metaal", "Manufacturing"),
                ("Groothandel", "Wholesale"), ("ICT", "IT services"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}", "{trade} {brand}"),
            forms=("B.V.", "B.V.", "B.V.", "B.V.", "N.V.", "V.O.F."),
            cities=(
                ("Amsterdam", "Noord-Holland"), ("Rotterdam", "Zuid-Holland"), ("Utrecht", "Utrecht"),
                ("Eindhoven", "Noord-Brabant"), ("Groningen", "Groningen"), ("Den Haag", "Zuid-Holland"),
                ("Tilburg", "Noord-Brabant"),
            ),
            streets=("Kerkstraat {n}", "Industrieweg {n}", "Havenstraat {n}", "Stationsweg {n}", "Dorpsstraat {n}"),
            postal="#### @@",
            vat="NL#########B01",
            mobiles=("6",),
            mail=("ziggo.nl", "kpnmail.nl", "gmail.com"),
            public=("Gemeente {city}", "Universitair Medisch Centrum {city}"),
        ),
        7,
    ),
    (
        Country(
            code="BE",
            local_name="België",
            language="nl-BE",
            currency="EUR",
            tld="be",
            dial="+32",
            rep="pierre",
            surnames=(
                "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
                "De Smet", "Dubois", "Lambert",
            ),
            first_names=("Lotte", "Wout", "Arne", "Lien", "Pieter", "Elise", "Thomas", "Nathalie", "Koen", "Sofie"),
            trades=(
                ("Bouwwerken", "Construction"), ("Transport", "Logistics"), ("Chocolaterie", "Manufacturing"),
                ("Brouwerij", "Hospitality"), ("Staalbouw", "Manufacturing"), ("Software", "IT services"),
            ),
            patterns=("{brand} {trade}", "{trade} {brand}"),
            forms=("NV", "BV", "BV", "SRL"),
            cities=(
                ("Antwerpen", "Antwerpen"), ("Gent", "Oost-Vlaanderen"), ("Brussel", "Brussel"),
                ("Leuven", "Vlaams-Brabant"), ("Brugge", "West-Vlaanderen"), ("Liège", "Liège"),
            ),
            streets=("Meir {n}", "Kortrijksesteenweg {n}", "Industriepark {n}", "Rue Neuve {n}"),
            postal="####",
            vat="BE0#########",
            mobiles=("470", "475", "486", "499"),
            mail=("telenet.be", "skynet.be", "gmail.com"),
            public=("Stad {city}", "AZ {city}"),
        ),
        4,
    ),
    (
        Country(
            code="SE",
            local_name="Sverige",
            language="sv",
            currency="SEK",
            tld="se",
            dial="+46",
            rep="sofia",
            surnames=(
                "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
                "Svensson", "Lindqvist",
            ),
            first_names=("Erik", "Karin", "Lars", "Anna", "Johan", "Maria", "Oskar", "Elin", "Nils", "Ingrid"),
            trades=(
                ("Timber", "Wholesale"), ("Trä", "Manufacturing"), ("Bygg", "Construction"),
                ("Stål", "Manufacturing"), ("Logistik", "Logistics"), ("Maskin", "Manufacturing"),
                ("Energi", "Energy"), ("Data", "IT services"), ("Livs", "Wholesale"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}"),
            forms=("AB", "AB", "AB", "AB", "HB"),
            cities=(
                ("Stockholm", "Stockholms län"), ("Göteborg", "Västra Götaland"), ("Malmö", "Skåne"),
                ("Uppsala", "Uppsala län"), ("Umeå", "Västerbotten"), ("Västerås", "Västmanland"),
            ),
            streets=("Storgatan {n}", "Industrivägen {n}", "Kungsgatan {n}", "Hamngatan {n}"),
            postal="### ##",
            vat="SE##########01",
            mobiles=("70", "72", "73", "76"),
            mail=("telia.com", "gmail.com", "outlook.com"),
            public=("{city} kommun",),
            brands=("Nordic", "Svea", "Göta", "Norrland", "Skandia", "Mälar", "Berg", "Lind"),
        ),
        5,
    ),
    (
        Country(
            code="DK",
            local_name="Danmark",
            language="da",
            currency="DKK",
            tld="dk",
            dial="+45",
            rep="sofia",
            surnames=(
                "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
                "Rasmussen",
            ),
            first_names=("Mads", "Mette", "Søren", "Louise", "Anders", "Camilla", "Rasmus", "Sofie"),
            trades=(
                ("Tømrer", "Construction"), ("Maskinfabrik", "Manufacturing"), ("Transport", "Logistics"),
                ("Import", "Wholesale"), ("Møbler", "Retail"), ("Vindteknik", "Energy"),
            ),
            patterns=("{brand} {trade}", "{brand} {trade}"),
            forms=("A/S", "A/S", "A/S", "ApS", "ApS"),
            cities=(
                ("København", "Hovedstaden"), ("Aarhus", "Midtjylland"), ("Odense", "Syddanmark"),
                ("Aalborg", "Nordjylland"),
            ),
            streets=("Vestergade {n}", "Industrivej {n}", "Nørregade {n}", "Havnegade {n}"),
            postal="####",
            vat="DK########",
            mobiles=("20", "40", "50", "60"),
            mail=("mail.dk", "gmail.com"),
            public=("{city} Kommune",),
            brands=("Dansk", "Nordjysk"),
        ),
        3,
    ),
    (
        Country(
            code="FI",
            local_name="Suomi",
            language="fi",
            currency="EUR",
            tld="fi",
            dial="+358",
            rep="sofia",
            surnames=(
                "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
                "Koskinen",
            ),
            first_names=("Mikko", "Anna", "Jukka", "Laura", "Timo", "Johanna", "Ville", "Sanna"),
            trades=(
                ("Rakennus", "Construction"), ("Kuljetus", "Logistics"), ("Konepaja", "Manufacturing"),
                ("Puutavara", "Wholesale"), ("Sähkö", "Energy"), ("Ohjelmistot", "IT services"),
            ),
            patterns=("{brand} {trade}", "{trade} {brand}"),
            forms=("Oy", "Oy", "Oy", "Oy", "Oyj"),
            cities=(
                ("Helsinki", "Uusimaa"), ("Tampere", "Pirkanmaa"), ("Turku", "Varsinais-Suomi"),
                ("Oulu", "Pohjois-Pohjanmaa"),
            ),
            streets=("Mannerheimintie {n}", "Teollisuuskatu {n}", "Hämeenkatu {n}"),
            postal="#####",
            vat="FI########",
            mobiles=("40", "44", "50"),
            mail=("elisa.fi", "gmail.com"),
        ),
        2,
    ),
    (
        Country(
            code="PL",
            local_name="Polska",
            language="pl",
            currency="PLN",
            tld="pl",
            dial="+48",
            rep="pierre",
            surnames=("Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Zając", "Król"),
            first_names=(
                "Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Magdalena", "Michał",
                "Joanna",
            ),
            trades=(
                ("Przedsiębiorstwo Budowlane", "Construction"), ("Transport", "Logistics"),
                ("Meble", "Manufacturing"), ("Hurtownia", "Wholesale"), ("Stal", "Manufacturing"),
                ("Systemy IT", "IT services"),
            ),
            patterns=("{trade} {brand}", "{brand} {trade}"),
            forms=("Sp. z o.o.", "Sp. z o.o.", "Sp. z o.o.", "S.A.", "sp.k."),
            cities=(
                ("Warszawa", "mazowieckie"), ("Kraków", "małopolskie"), ("Wrocław", "dolnośląskie"),
                ("Poznań", "wielkopolskie"), ("Gdańsk", "pomorskie"), ("Łódź", "łódzkie"),
            ),
            streets=("ul. Marszałkowska {n}", "ul. Przemysłowa {n}", "ul. Długa {n}", "ul. Kościuszki {n}"),
            postal="##-###",
            vat="PL##########",
            mobiles=("501", "601", "695", "721"),
            mail=("wp.pl", "onet.pl", "gmail.com"),
            brands=("Polbud", "Stalmet", "Drewex", "Transpol"),
        ),
        5,
    ),
    (
        Country(
            code="CZ",
            local_name="Česko",
            language="cs",
            currency="CZK",
            tld="cz",
            dial="+420",
            rep="pierre",
            surnames=("Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý"),
            first_names=("Jan", "Petr", "Tereza", "Jakub", "Lucie", "Martin", "Eva", "Tomáš"),
            trades=(
                ("Stavby", "Construction"), ("Strojírna", "Manufacturing"), ("Doprava", "Logistics"),
                ("Sklárna", "Manufacturing"), ("Pivovar", "Hospitality"), ("Software", "IT services"),
            ),
            patterns=("{brand} {trade}", "{trade} {brand}"),
            forms=("s.r.o.", "s.r.o.", "s.r.o.", "a.s."),
            cities=(
                ("Praha", "Hlavní město Praha"), ("Brno", "Jihomoravský kraj"), ("Ostrava", "Moravskoslezský kraj"),
                ("Plzeň", "Plzeňský kraj"),
            ),
            streets=("Národní {n}", "Průmyslová {n}", "Vinohradská {n}"),
            postal="### ##",
            vat="CZ########",
            mobiles=("602", "724", "777"),
            mail=("seznam.cz", "email.cz"),
            brands=("Moravia", "Bohemia"),
        ),
        2,
    ),
    (
        Country(
            code="PT",
            local_name="Portugal",
            language="pt",
            currency="EUR",
            tld="pt",
            dial="+351",
            rep="luca",
            surnames=("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa"),
            first_names=("João", "Ana", "Pedro", "Mariana", "Rui", "Inês", "Tiago", "Catarina"),
            trades=(
                ("Construções", "Construction"), ("Transportes", "Logistics"), ("Cortiças", "Manufacturing"),
                ("Vinhos", "Agriculture"), ("Têxteis", "Manufacturing"), ("Distribuição", "Wholesale"),
            ),
            patterns=("{trade} {brand}", "{brand} & {brand2} {trade}"),
            forms=("Lda.", "Lda.", "Lda.", "S.A."),
            cities=(
                ("Lisboa", "Lisboa"), ("Porto", "Porto"), ("Braga", "Braga"), ("Coimbra", "Coimbra"),
                ("Aveiro", "Aveiro"),
            ),
            streets=(
                "Rua Augusta {n}", "Avenida da Liberdade {n}", "Rua de Santa Catarina {n}",
                "Zona Industrial, lote {n}",
            ),
            postal="####-###",
            vat="PT#########",
            mobiles=("91", "93", "96"),
            mail=("sapo.pt", "gmail.com"),
            public=("Câmara Municipal de {city}",),
        ),
        2,
    ),
    (
        Country(
            code="IE",
            local_name="Ireland",
            language="en",
            currency="EUR",
            tld="ie",
            dial="+353",
            rep="pierre",
            surnames=(
                "Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan", "O'Brien", "Doyle", "McCarthy",
                "Gallagher",
            ),
            first_names=("Seán", "Aoife", "Conor", "Siobhán", "Patrick", "Niamh", "Ciarán", "Orla"),
            trades=(
                ("Engineering", "Manufacturing"), ("Logistics", "Logistics"), ("Construction", "Construction"),
                ("Foods", "Wholesale"), ("Software", "IT services"), ("Pharma", "Healthcare"),
                ("Renewables", "Energy"),
            ),
            patterns=("{brand} {trade}", "{brand} & {brand2} {trade}"),
            forms=("Ltd", "Ltd", "Ltd", "DAC", "plc"),
            cities=(("Dublin", "Leinster"), ("Cork", "Munster"), ("Galway", "Connacht"), ("Limerick", "Munster")),
            streets=("{n} Main Street", "Unit {n}, Business Park", "{n} Harbour Road"),
            postal="@## @###",
            vat="IE#######@",
            mobiles=("83", "85", "86", "87"),
            mail=("eircom.net", "gmail.com"),
            public=("{city} City Council",),
        ),
        2,
    ),
)
# fmt: on

COUNTRY = {c.code: c for c, _ in COUNTRIES}

TITLES = {
    "management": ("Managing Director", "CEO", "Owner", "General Manager"),
    "billing": ("Accounts Payable", "Head of Finance", "Bookkeeper", "Finance Manager"),
    "purchasing": ("Purchasing Manager", "Buyer", "Head of Procurement"),
    "technical": ("Technical Director", "Production Manager", "IT Manager", "Quality Engineer"),
    "shipping": ("Logistics Coordinator", "Warehouse Manager", "Shipping Clerk"),
}

TAGS = (
    "Newsletter",
    "Trade fair 2025",
    "Export",
    "Online shop",
    "Reseller",
    "Framework contract",
    "E-invoicing",
    "Samples sent",
    "Direct debit",
)

NOTES_PUBLIC = (
    "Prefers invoices as PDF by e-mail, no paper copies.",
    "Goods receiving Monday to Thursday 07:00–15:00 only; call the warehouse before delivery.",
    "Order confirmations must quote their purchase order number.",
    "Annual price review in {month}.",
    "Asked for a quote for Q{quarter}; follow up in two weeks.",
    "Requested samples of the new range; shipped by courier.",
    "Met at {fair}; interested in the {range} range.",
)
NOTES_PRIVATE = (
    "Paid late twice last year; keep an eye on the balance.",
    "Credit report checked: good rating, no negative entries.",
    "A competitor offered 5% lower; keep our prices firm.",
    "Owner considering retirement; succession unclear.",
    "New purchasing manager since last month; send the catalogue.",
    "Payments usually arrive a few days late; a friendly reminder works.",
)
FAIRS = ("Hannover Messe", "bauma", "EuroShop", "Ambiente", "Salone del Mobile", "Maison&Objet", "SIAL Paris")
RANGES = ("stainless steel", "premium", "professional", "eco", "outdoor", "spare parts")
MONTHS = ("January", "March", "April", "June", "September", "October")

HOLD_REASONS = (
    "Returned direct debit; waiting for confirmation from the bank",
    "Insolvency application published in the trade register",
    "Cheque bounced; account under review by credit control",
)

AVAILABILITY: tuple[tuple[tuple[int, str, str], ...], ...] = (
    tuple((d, s, e) for d in range(1, 6) for s, e in (("08:00", "12:00"), ("13:00", "17:00"))),
    tuple((d, "08:30", "12:30") for d in range(1, 6)),
    tuple((d, "09:00", "15:00") for d in range(1, 5)),
    tuple((d, "10:00", "18:00") for d in range(1, 6)),
    ((1, "09:00", "12:00"), (3, "09:00", "12:00"), (5, "09:00", "12:00")),
    (),
)

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


# -- the plan ----------------------------------------------------------------------------------------


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


@dataclass
class Counts:
    users: int = 0
    groups: int = 0
    fields: int = 0
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


ANCHORS = (
    # name, stem, country, industry, role, group
    ("Müller Metallbau GmbH", "Müller Metallbau", "DE", "Manufacturing", "customer", "G-VIP"),
    ("Rossi Forniture S.r.l.", "Rossi Forniture", "IT", "Wholesale", "customer", "G-WHOLESALE"),
    ("Nordic Timber AB", "Nordic Timber", "SE", "Wholesale", "vendor+customer", "G-WHOLESALE"),
)


class DemoLoader:
    def __init__(self, container: Container, partners: int, bar: Progress, days: int = DAYS) -> None:
        self.container = container
        self.total = max(0, partners)
        self.days = max(0, days)
        self.bar = bar
        self.rng = random.Random(SEED)
        self.counts = Counts()
        self.used: set[str] = set()
        self.plans: list[Plan] = []
        self.held: set[int] = set()  # the plans placed on credit hold
        self.task = bar.add_task("Loading demo partners", total=self.total)

    # -- running commands ----------------------------------------------------------------------

    def run(self, handler: Callable[[C, CommandContext], Result], command: C) -> Result:
        return self.container.execute(handler, command, Request(actor=ACTOR))

    def today(self) -> date:
        return self.container.clock.today()

    def tick(self, day: date, at: time) -> None:
        clock = self.container.clock
        if clock.mode != "manual":
            return
        target = datetime.combine(day, at)
        if clock.to_instant(target) > clock.now():
            clock.tick(target, ACTOR)

    # -- sizes and schedule --------------------------------------------------------------------

    def sizes(self) -> tuple[int, int, int]:
        """(merges, extra duplicates absorbed by the first merge, subsidiaries)."""
        n = self.total
        merges = min(5, 3 + n // 150) if n >= 12 else n // 6
        extra = 1 if n >= 100 else 0
        children = 0 if n < 20 else min(8, max(2, n // 50))
        return merges, extra, children

    def schedule(self, batches: int) -> list[date]:
        """The business day of each batch and, last, of the clean-up (holds and merges)."""
        start = self.today()
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

    def build_plans(self, batches: int) -> None:
        merges, extra, children = self.sizes()
        regular = self.total - merges - extra - children
        for i in range(min(regular, len(ANCHORS))):
            name, stem, code, industry, role, group = ANCHORS[i]
            self.used.add(name.casefold())
            self.plans.append(Plan("org", COUNTRY[code], name, stem, industry, role=role, group=group))
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
        # Registration order: by batch, then by plan index (so a parent or original comes first).
        self.order = sorted(range(len(self.plans)), key=lambda i: (self.plans[i].batch, i))

    # -- fields --------------------------------------------------------------------------------

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
                text = rng.choice(NOTES_PUBLIC).format(
                    month=rng.choice(MONTHS),
                    quarter=rng.randint(1, 4),
                    fair=rng.choice(FAIRS),
                    range=rng.choice(RANGES),
                )
                result.append(AddNote(partner=plan.ref, text=text, visibility="public"))
            else:
                result.append(AddNote(partner=plan.ref, text=rng.choice(NOTES_PRIVATE), visibility="private"))
        return result

    # -- loading -------------------------------------------------------------------------------

    def setup(self) -> None:
        for user in USERS:
            self.run(register_user, RegisterUser.model_validate(user))
            self.counts.users += 1
        for group in GROUPS:
            self.run(create_partner_group, CreatePartnerGroup.model_validate(group))
            self.counts.groups += 1
        for definition in CUSTOM_FIELDS:
            self.run(define_custom_field, DefineCustomField.model_validate(definition))
            self.counts.fields += 1

    def register(self, index: int) -> None:
        plan = self.plans[index]
        command = self.register_command(index)
        result = self.run(register_partner, command)
        plan.command = command
        plan.ref = str(result.id)
        self.counts.partners += 1
        if command.kind and command.kind.value == "person":
            self.counts.persons += 1
        else:
            self.counts.organizations += 1
        if plan.kind == "child":
            self.counts.subsidiaries += 1
        for contact in self.contacts(index):
            self.run(add_contact, contact)
            self.counts.contacts += 1
        for address in self.addresses(index):
            self.run(add_address, address)
            self.counts.addresses += 1
        for note in self.notes(index):
            self.run(add_note, note)
            self.counts.notes += 1
        self.bar.advance(self.task)

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
                    "custom_fields": {"customer_since": self.today().isoformat()},
                }
            )
            self.run(change_partner, change)
            plan.command = command.model_copy(update={"roles": change.roles, "credit_limit": change.credit_limit})
            self.counts.conversions += 1

    def place_holds(self) -> None:
        involved = {p.source for p in self.plans if p.kind == "duplicate"}
        candidates = [
            i
            for i, p in enumerate(self.plans)
            if p.kind == "org"
            and i not in involved
            and p.command is not None
            and "customer" in [r.value for r in p.command.roles]
            and p.command.credit_limit
            and p.command.credit_limit > 0
        ]
        wanted = 0 if self.total < 10 else 2 if self.total < 200 else 3
        for n, i in enumerate(self.rng.sample(candidates, min(wanted, len(candidates)))):
            self.run(place_credit_hold, PlaceCreditHold(partner=self.plans[i].ref, reason=HOLD_REASONS[n]))
            self.held.add(i)
            self.counts.holds += 1

    def merge_duplicates(self) -> None:
        absorbed: dict[int, list[str]] = {}
        for plan in self.plans:
            if plan.kind == "duplicate" and plan.source is not None and plan.ref:
                absorbed.setdefault(plan.source, []).append(plan.ref)
        for original, codes in absorbed.items():
            self.run(merge_partners, MergePartners(partner=self.plans[original].ref, absorb=codes))
            self.counts.merges += 1
            self.counts.absorbed += len(codes)

    def load(self) -> str:
        began = timer.monotonic()
        start = self.today()
        batches = max(1, min(8, self.total // 4))
        days = self.schedule(batches)
        self.tick(days[0], time(8, 30))
        self.setup()
        self.build_plans(batches)
        for batch in range(batches):
            if batch:
                self.tick(days[batch], time(9, self.rng.randint(0, 59)))
                self.convert_prospects(batch)
            for index in self.order:
                if self.plans[index].batch == batch:
                    self.register(index)
        self.tick(days[-1], time(10, 30))
        self.bar.update(self.task, description="Credit holds and merges")
        self.place_holds()
        self.merge_duplicates()
        self.container.runner.drain()
        self.bar.update(self.task, description="Demo partners loaded", completed=self.total)
        sales = SalesYear(self, self.sales_end(start)).walk()
        mailing = interest_areas_and_mailing(self)
        campaign = campaigns(self)
        end = self.today()
        c = self.counts
        return (
            f"{c.users} users, {c.groups} partner groups, {c.fields} custom fields, "
            f"{c.partners} partners ({c.organizations} organizations incl. {c.subsidiaries} subsidiaries, "
            f"{c.persons} persons; {c.partners - c.absorbed} active), {c.contacts} contacts, "
            f"{c.addresses} addresses, {c.notes} notes, {c.conversions} prospects converted, "
            f"{c.holds} credit holds, {c.merges} merges ({c.absorbed} duplicates absorbed); {sales}; {mailing}; "
            f"{campaign}; "
            f"clock moved {(end - start).days} days ({start} → {end}); "
            f"{timer.monotonic() - began:.1f} s"
        )

    def sales_end(self, start: date) -> date:
        """The last day of the demo: ``days`` after the first, but never past the wall clock's today."""
        clock = self.container.clock
        wall_today = datetime.now(clock.zone).date()
        return max(self.today(), min(start + timedelta(days=self.days), wall_today))


# -- the sales year ------------------------------------------------------------------------------

SALES_SEED = SEED + 365
CENTS = Decimal("0.01")
EUR = "EUR"
FINANCE = "tkowalski"  # credit control books payments, disputes, promises and grace


@dataclass(frozen=True)
class Product:
    code: str
    description: str
    price: Decimal
    cost: Decimal
    quantities: tuple[int, int]
    reduced: bool = False  # the reduced German VAT rate (printed books)


def product(code: str, description: str, price: str, cost: str, low: int, high: int, reduced: bool = False) -> Product:
    return Product(code, description, Decimal(price), Decimal(cost), (low, high), reduced)


CATALOGUE: tuple[Product, ...] = (
    product("SHELF-HD", "Heavy-duty steel shelving unit, 2000 × 1000 × 500 mm", "289.00", "171.50", 2, 24),
    product("BENCH-W", "Workbench with drawer unit, beech top", "649.00", "402.00", 1, 8),
    product("RACK-PAL", "Pallet racking bay, 3 levels", "1180.00", "760.00", 1, 10),
    product("TROLLEY-7", "Tool trolley with 7 drawers", "415.00", "248.00", 1, 10),
    product("CAB-SAFE", "Safety cabinet for flammable liquids, type 90", "1890.00", "1240.00", 1, 3),
    product("LED-HB150", "LED high-bay light 150 W", "139.00", "71.00", 4, 48),
    product("DRUM-50", "Cable drum 50 m, IP44", "89.50", "48.20", 2, 30),
    product("BOOK-SAFE", "Handbook: workplace safety (print)", "39.90", "14.50", 1, 25, reduced=True),
    product("SVC-INST", "Installation and assembly, per hour", "78.00", "41.00", 2, 40),
    product("SVC-TRAIN", "On-site training, per day", "890.00", "320.00", 1, 3),
)
FREIGHT = product("FREIGHT", "Freight and packaging", "65.00", "52.00", 1, 1)


@dataclass(frozen=True)
class Subscription:
    """What a recurring invoice bills: one line, every ``interval`` months, ``max_count`` times."""

    item: Product
    quantities: tuple[int, int] = (1, 1)
    interval: int = 1
    max_count: int | None = None


MAINTENANCE = product("MAINT-M", "Maintenance contract for racking and shelving, monthly", "240.00", "95.00", 1, 1)
SUPPORT = product("SUPPORT-M", "Support subscription, monthly", "129.00", "35.00", 1, 1)
LICENCE = product("LIC-USER", "Inventory software licence, per user and month", "19.00", "4.00", 1, 1)
# The recurring invoices in the order they are made (as many as the size allows, 4 to 10): the
# second is suspended half-way through the year, the third bills quarterly, the fourth ends after
# six instalments.
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(MAINTENANCE),
    Subscription(SUPPORT),
    Subscription(
        product("INSPECT-Q", "Safety inspection of storage systems, quarterly", "560.00", "260.00", 1, 1),
        (1, 2),
        interval=3,
    ),
    Subscription(
        product("RENT-LIFT", "Scissor lift rental, monthly instalment", "780.00", "410.00", 1, 1), max_count=6
    ),
    Subscription(LICENCE, (5, 40)),
    Subscription(MAINTENANCE, (1, 2)),
    Subscription(SUPPORT),
    Subscription(LICENCE, (3, 25)),
    Subscription(product("BACKUP-M", "Cloud backup of the inventory data, monthly", "49.00", "12.00", 1, 1)),
    Subscription(MAINTENANCE),
)

# VAT by the customer's country (registered there, or selling to consumers there); elsewhere in the
# EU an intra-Community supply (reverse charge) and outside it an export, both at 0 %.
TAX_RATES = {code: Decimal(rate) for code, rate in (("DE", 19), ("AT", 20), ("FR", 20), ("PL", 23), ("PT", 23))}
TAX_RATES["IE"] = Decimal(23)
REDUCED_DE = Decimal("7")
EXPORT_NOTE = {
    "CH": "Export delivery outside the EU, exempt from VAT.",
    "": "Intra-Community supply: reverse charge, the recipient accounts for the VAT.",
}
REFUSALS = (
    "Price too high compared with a competitor's offer",
    "Project postponed to next year",
    "Budget not approved by the management",
    "Delivery time too long for the customer's schedule",
    "Ordered from the existing supplier after all",
    "Requirements changed; a new quote will be requested",
)
DISPUTES = (
    "Goods damaged on delivery; photos sent to the carrier",
    "Quantity invoiced does not match the delivery note",
    "Installation hours are contested by the site manager",
)
SEASON = {1: 0.9, 2: 1.0, 3: 1.2, 4: 1.2, 5: 1.1, 6: 1.0, 7: 0.8, 8: 0.6, 9: 1.1, 10: 1.2, 11: 1.1, 12: 0.7}
QUOTES_PER_YEAR = 1.6  # per customer or prospect
INVOICES_PER_YEAR = 0.55  # invoiced directly, without a quote, per customer
# Payment habits: share of the customers and (first, last) days after the due date they pay.
PAYERS = {"prompt": (35, (-12, -3)), "normal": (40, (-4, 6)), "late": (18, (10, 55)), "slow": (7, (35, 110))}


# -- collection (dunning): the templates its messages use and the default scheme -------------------

INVOICE_LINES = (
    "{% for i in invoices %}  {{ i.number }}  due {{ i.due_date }}  {{ i.days_overdue }} days overdue  "
    "{{ i.open_amount }} {{ currency }}\n{% endfor %}"
)
LETTER_ROWS = (
    "<table><tr><th>Invoice</th><th>Due</th><th>Days overdue</th><th>Open</th><th>Interest</th></tr>"
    "{% for i in invoices %}<tr><td>{{ i.number }}</td><td>{{ i.due_date }}</td><td>{{ i.days_overdue }}</td>"
    "<td>{{ i.open_amount }} {{ currency }}</td><td>{{ i.interest }}</td></tr>{% endfor %}</table>"
)
GREETING = "Dear {{ contact.name if contact else partner.name }},"
LETTER_HEAD = "<p>{{ partner.name }}</p><p>{{ today }}</p><p>" + GREETING + "</p>"
COLLECTION_TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "R1",
        "channel": "email",
        "subject": "Payment reminder: {{ total_open }} {{ currency }} overdue",
        "body": GREETING
        + "\n\nour records show the following invoices as not yet paid:\n\n"
        + INVOICE_LINES
        + "\nTotal open: {{ total_open }} {{ currency }}. If you have paid already, please ignore this "
        "reminder; otherwise kindly transfer the amount within the next few days.\n\nKind regards,\n"
        "Credit control\n",
    },
    {
        "code": "R2",
        "channel": "email",
        "subject": "Second reminder: {{ total_due }} {{ currency }} now due",
        "body": GREETING
        + "\n\ndespite our reminder the following invoices are still open:\n\n"
        + INVOICE_LINES
        + "\nWe have charged a reminder fee of {{ fee }} {{ currency }}; the total due is now "
        "{{ total_due }} {{ currency }}. Please find our letter attached and pay within 7 days.\n\n"
        "Kind regards,\nCredit control\n",
    },
    {
        "code": "S2",
        "channel": "sms",
        "body": "{{ partner.name }}: {{ total_due }} {{ currency }} overdue on {{ invoices | length }} "
        "invoice(s). Please pay now or call us. Credit control",
    },
    {
        "code": "L2",
        "channel": "letter",
        "subject": "Second reminder",
        "body": LETTER_HEAD
        + "<p>the following invoices are still unpaid despite our first reminder:</p>"
        + LETTER_ROWS
        + "<p>A reminder fee of {{ fee }} {{ currency }} has been charged. Total due: "
        "<strong>{{ total_due }} {{ currency }}</strong>. Please pay within 7 days.</p>"
        "<p>Kind regards,<br>Credit control</p>",
    },
    {
        "code": "L3",
        "channel": "letter",
        "subject": "Final demand",
        "body": LETTER_HEAD
        + "<p><strong>Final demand.</strong> The following invoices remain unpaid:</p>"
        + LETTER_ROWS
        + "<p>Interest of {{ interest }} {{ currency }} has been charged and your account is blocked for "
        "new orders until it is settled. Total due: <strong>{{ total_due }} {{ currency }}</strong>. "
        "Without payment within 7 days we will hand the matter to a collection agency.</p>"
        "<p>Credit control</p>",
    },
    {
        "code": "COLL-LETTER",
        "channel": "letter",
        "subject": "Payment reminder",
        "is_default": True,
        "body": LETTER_HEAD
        + "<p>the following invoices are overdue ({{ level_name }}):</p>"
        + LETTER_ROWS
        + "<p>Total due: <strong>{{ total_due }} {{ currency }}</strong>.</p><p>Credit control</p>",
    },
]
COLLECTION_SCHEME: dict[str, Any] = {
    "code": "STD",
    "name": "Standard",
    "is_default": True,
    "tolerance": "5.00",
    "min_days_between_actions": 7,
    "sequential": True,
    "auto_unblock": True,
    "promise_grace_days": 2,
    "levels": [
        {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "R1"}]},
        {
            "seq": 2,
            "name": "L2",
            "days_after_due": 21,
            "actions": [
                {"type": "fee", "amount": "40.00"},
                {"type": "sms", "template": "S2"},
                {"type": "email", "template": "R2", "attach_letter": "L2"},
            ],
        },
        {
            "seq": 3,
            "name": "L3",
            "days_after_due": 45,
            "actions": [
                {"type": "interest", "annual_rate": "10.00"},
                {"type": "block_sales"},
                {"type": "task", "title": "Call customer", "assignee": "sales_rep", "due_in_days": 2},
                {"type": "letter", "template": "L3"},
            ],
        },
    ],
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def season_campaign(day: date) -> str:
    year = day.year + (1 if day.month == 12 else 0)
    name = ("WINTER", "SPRING", "SUMMER", "AUTUMN")[day.month % 12 // 3]
    return f"{name}{year % 100:02d}"


@dataclass
class Customer:
    """A customer or prospect who buys during the sales year."""

    ref: str
    plan: Plan
    weight: float
    payer: str
    held: bool
    buyer: bool  # a customer (a prospect becomes one with its first accepted quote or order)

    @property
    def person(self) -> bool:
        return self.plan.kind == "person"

    @property
    def rep(self) -> str:
        command = self.plan.command
        return command.sales_reps[0] if command and command.sales_reps else ACTOR


@dataclass
class Invoice:
    id: str
    customer: Customer
    number: str
    total: Decimal
    issued: date
    due: date


@dataclass
class SalesCounts:
    quotes: int = 0
    accepted: int = 0
    refused: int = 0
    orders: int = 0
    invoices: int = 0
    credit_notes: int = 0
    payments: int = 0
    templates: int = 0
    recurring: int = 0  # invoices the templates made
    credit_limit: int = 0
    credit_stop: int = 0
    cancelled: int = 0
    disputes: int = 0
    promises: int = 0
    graces: int = 0
    overpayments: int = 0
    suspended: int = 0


@dataclass
class Template:
    id: str
    customer: Customer
    seen: int = 0  # invoices already planned for payment


# -- activities ----------------------------------------------------------------------------------

ACTIVITIES_SEED = SEED + 1095
ACTIVITY_WINDOW = 28  # the reps plan their activities over the walk's last four weeks
ACTIVITY_PLANS = 48
ACTIVITY_KINDS = (("call", 45), ("meeting", 15), ("task", 30), ("note", 10))
ACTIVITY_SUBJECTS: dict[str, tuple[str, ...]] = {
    "call": (
        "Follow up on the last quote",
        "Annual price review",
        "Delivery schedule for next month",
        "Introduce the new product range",
        "Check satisfaction after the installation",
    ),
    "meeting": ("Quarterly business review", "Site visit", "Contract renewal negotiation"),
    "task": (
        "Send the updated price list",
        "Prepare a quote for spare parts",
        "Update the delivery addresses",
        "Check the credit limit with finance",
    ),
    "note": (
        "Prefers to be called in the morning",
        "The managing director decides on orders above 10,000 EUR",
        "Budget planning happens in October",
    ),
}
OUTCOMES = (
    "Agreed to a follow-up quote",
    "Asked to call back next month",
    "Renewal agreed in principle",
    "No answer; left a message",
)
OFFICE_HOURS = tuple(Availability(weekday=d, start="09:00", end="17:00") for d in range(1, 6))


# -- requests and complaints ---------------------------------------------------------------------

REQUESTS_SEED = SEED + 730
REQUEST_WINDOW = 21  # the requests are opened over the walk's last three weeks
MAIL_GATEWAY = "mail-gateway"  # the actor of the mails the demo receives
REQUEST_STATUSES = ("open", "in_progress", "closed", "final")
REQUEST_TYPES: list[dict[str, Any]] = [
    {"code": "QUESTION", "name": "Question", "due_days": 3, "tolerance_days": 2, "assign_to": "sofia"},
    {"code": "COMPLAINT", "name": "Complaint", "due_days": 2, "tolerance_days": 1, "escalate_after_days": 3},
    {"code": "DELIVERY", "name": "Delivery inquiry", "due_days": 1, "escalate_after_days": 2},
    {
        "code": "WARRANTY",
        "name": "Warranty claim",
        "due_days": 10,
        "tolerance_days": 5,
        "escalate_after_days": 10,
        "assign_to": "pierre",
    },
]
ROUTING_RULES: list[dict[str, Any]] = [
    {"keyword": "invoice", "assign_to": FINANCE},
    {"type": "DELIVERY", "assign_to": "pierre"},
    {"type": "COMPLAINT", "assign_to": "anna"},
]


@dataclass(frozen=True)
class RequestScenario:
    """A request opened ``opens_after`` days into the window, then ``steps``: (days later, step)."""

    type: str
    subject: str
    description: str
    opens_after: int
    priority: str = "medium"
    confidentiality: str = "public"
    by_email: bool = False
    steps: tuple[tuple[int, tuple[str, str]], ...] = ()


REQUEST_SCENARIOS = (
    RequestScenario(
        "COMPLAINT",
        "Damaged pallet on delivery",
        "Two rack uprights arrived bent; the pallet wrap was torn.",
        0,
        "high",
        steps=(
            (1, ("internal", "Carrier claim filed; photos requested from the customer.")),
            (2, ("reply", "Photos attached: both uprights are unusable.")),
        ),
    ),
    RequestScenario(
        "COMPLAINT",
        "Wrong invoice total",
        "The invoice charges the freight twice.",
        2,
        steps=(
            (1, ("in_progress", "")),
            (1, ("comment", "You are right, the freight was charged twice; a credit note follows.")),
        ),
    ),
    RequestScenario(
        "QUESTION",
        "Opening hours over the holidays",
        "Is your warehouse open between the holidays?",
        4,
        "low",
        steps=((1, ("comment", "Yes, from 8:00 to 14:00 on working days.")), (2, ("closed", "Answered"))),
    ),
    RequestScenario(
        "COMPLAINT",
        "Missing spare parts",
        "The shelf kit came without its bolts.",
        5,
        steps=((1, ("in_progress", "")), (2, ("closed", "Bolts sent by express")), (5, ("final", ""))),
    ),
    RequestScenario(
        "DELIVERY",
        "Delivery date for our order",
        "When will our order ship?",
        8,
        steps=((1, ("closed", "Ships on Monday")),),
    ),
    RequestScenario(
        "COMPLAINT",
        "Contract terms dispute",
        "We do not accept the new terms of the framework contract.",
        9,
        "high",
        confidentiality="confidential",
        steps=((1, ("assign", "luca")), (1, ("in_progress", ""))),
    ),
    RequestScenario("QUESTION", "Catalogue for next season", "Please send us the new catalogue.", 12, by_email=True),
    RequestScenario(
        "COMPLAINT",
        "Production line stopped",
        "A conveyor shelf collapsed.",
        14,
        "urgent",
        steps=((1, ("in_progress", "")),),
    ),
    RequestScenario("WARRANTY", "Beam lock broken", "A beam lock broke after two months of use.", 17),
)


class SalesYear:
    """A year of quotes, orders, invoices, credit notes and payments, made through the commands
    while the manual clock walks forward a few days at a time up to ``end``. Every decision comes
    from a seeded generator, and whatever happens later (an acceptance, a delivery, a payment) is
    put on an agenda for the day it is due, so each step first does what fell due and then what is
    new. The day jobs run on their own as the clock passes each day start: quotes expire and the
    recurring invoices are made."""

    def __init__(self, loader: DemoLoader, end: date) -> None:
        self.loader = loader
        self.container = loader.container
        self.rng = random.Random(SALES_SEED)
        self.start = loader.today()
        self.end = end
        self.counts = SalesCounts()
        self.agenda: list[tuple[date, int, Callable[[date], None]]] = []
        self.seq = 0
        self.customers = self.choose_customers()
        self.templates: list[Template] = []
        # The rarer events: at most so many are planned (counts say how many happened).
        self.caps = {"disputes": 3, "promises": 5, "graces": 4, "overpayments": 5, "credit_notes": 25}
        self.planned = dict.fromkeys(self.caps, 0)

    # -- plumbing --------------------------------------------------------------------------------

    def run(self, handler: Callable[[C, CommandContext], Result], command: C, actor: str = ACTOR) -> Result:
        return self.container.execute(handler, command, Request(actor=actor))

    def today(self) -> date:
        return self.loader.today()

    def at(self, day: date, action: Callable[[date], None]) -> None:
        """Puts an action on the agenda for a day (tomorrow at the earliest); it is handed the day
        it was due, which a payment takes as its value date."""
        self.seq += 1
        heapq.heappush(self.agenda, (max(day, self.today() + timedelta(days=1)), self.seq, action))

    def later(self, days: int, action: Callable[[date], None]) -> None:
        self.at(self.today() + timedelta(days=days), action)

    def allowed(self, event: str, chance: float) -> bool:
        """Whether one of the rarer events happens (with this chance, below its cap); if so it
        is planned."""
        if self.rng.random() >= chance or self.planned[event] >= self.caps[event]:
            return False
        self.planned[event] += 1
        return True

    def load(self, ref: str) -> Any:
        return self.container.store.get(UUID(ref))

    # -- who buys ------------------------------------------------------------------------------

    def choose_customers(self) -> list[Customer]:
        rng = self.rng
        payers = list(PAYERS)
        shares = [PAYERS[p][0] for p in payers]
        result = []
        for index, plan in enumerate(self.loader.plans):
            command = plan.command
            if command is None or plan.kind == "duplicate" or not plan.ref:
                continue
            roles = {r.value for r in command.roles}
            if not roles & {"customer", "prospect"}:
                continue
            weight = {"G-VIP": 3.5, "G-WHOLESALE": 2.2, "G-PUBLIC": 1.3, "G-RETAIL": 1.4}.get(command.group or "", 1.0)
            if plan.kind == "person":
                weight = 0.45
            if "customer" not in roles:
                weight *= 0.7
            payer = rng.choices(payers, shares)[0]
            if plan.kind == "public" and payer == "prompt":
                payer = "normal"  # public bodies take their time
            result.append(Customer(plan.ref, plan, weight, payer, index in self.loader.held, "customer" in roles))
        return result

    def tax_rate(self, customer: Customer, item: Product) -> Decimal:
        code = customer.plan.country.code
        if code == "DE" and item.reduced:
            return REDUCED_DE
        return TAX_RATES.get(code, Decimal("0"))

    def notes(self, customer: Customer) -> str:
        code = customer.plan.country.code
        if code in TAX_RATES:
            return ""
        return EXPORT_NOTE.get(code, EXPORT_NOTE[""])

    def line(self, customer: Customer, item: Product, campaign: str | None) -> dict[str, Any]:
        rng = self.rng
        group = customer.plan.command.group if customer.plan.command else None
        quantity = rng.randint(*item.quantities)
        if customer.person:
            quantity = max(1, quantity // 4)
        elif group == "G-VIP":
            quantity *= rng.choice((1, 2, 2, 3))
        if group == "G-VIP":
            discount = rng.choice((5, 8, 10, 12))
        elif group == "G-WHOLESALE":
            discount = rng.choice((0, 3, 5, 5, 8))
        elif group == "G-PUBLIC":
            discount = rng.choice((0, 0, 3))
        else:
            discount = rng.choices((0, 2, 3, 5), (70, 10, 10, 10))[0]
        if campaign and item is not FREIGHT:
            discount += 5
        return {
            "product": item.code,
            "description": item.description,
            "quantity": str(quantity),
            "unit_price": str(item.price),
            "discount_percent": str(discount if item is not FREIGHT else 0),
            "tax_rate": str(self.tax_rate(customer, item)),
            "unit_cost": str(item.cost),
        }

    def lines(self, customer: Customer, campaign: str | None, few: int = 2, many: int = 6) -> list[dict[str, Any]]:
        rng = self.rng
        top = min(many, 3) if customer.person else many
        count = rng.randint(few, max(few, top))
        items = rng.sample(CATALOGUE, count)
        if rng.random() < 0.4 and count < many:
            items.append(FREIGHT)
        lines = [self.line(customer, item, campaign) for item in items]
        command = customer.plan.command
        limit = command.credit_limit if command is not None and command.credit_check else None
        if limit:
            # The rep sizes the offer to the customer: mostly well within the credit limit.
            self.fit(lines, limit * Decimal(rng.choice((15, 25, 35, 45, 60))) / 100, few)
        return lines

    @staticmethod
    def fit(lines: list[dict[str, Any]], budget: Decimal, few: int) -> None:
        """Scales the quantities down (and drops the dearest lines) until the net fits the budget."""

        def net(line: dict[str, Any]) -> Decimal:
            price = Decimal(line["quantity"]) * Decimal(line["unit_price"])
            return price * (100 - Decimal(line["discount_percent"])) / 100

        total = sum((net(line) for line in lines), Decimal(0))
        if total <= budget:
            return
        factor = budget / total
        for line in lines:
            if line["product"] != FREIGHT.code:
                line["quantity"] = str(max(1, int(Decimal(line["quantity"]) * factor)))
        while len(lines) > few and sum((net(line) for line in lines), Decimal(0)) > budget:
            lines.remove(max(lines, key=net))

    def draft(self, doc_type: str, customer: Customer, lines: list[dict[str, Any]], **terms: Any) -> str:
        command = DraftDocument.model_validate(
            {
                "type": doc_type,
                "partner": customer.ref,
                "currency": EUR,
                "notes_public": self.notes(customer),
                "lines": lines,
                **terms,
            }
        )
        return str(self.run(draft_document, command, customer.rep).id)

    # -- quotes, orders, invoices ----------------------------------------------------------------

    def new_quote(self, customer: Customer) -> None:
        rng = self.rng
        today = self.today()
        validity = rng.randint(14, 28)
        campaign = season_campaign(today) if rng.random() < 0.25 else None
        quote = self.draft(
            "quote",
            customer,
            self.lines(customer, campaign),
            valid_until=(today + timedelta(days=validity)).isoformat(),
            campaign=campaign,
        )
        self.run(issue_document, IssueDocument(document=quote), customer.rep)
        self.counts.quotes += 1
        roll = rng.random()
        if roll < 0.55:
            self.later(rng.randint(2, validity - 6), lambda day: self.accept(customer, quote))
        elif roll < 0.75:
            self.later(rng.randint(3, validity - 6), lambda day: self.refuse(customer, quote))
        # else: nobody answers and the quote expires at a day start after its valid_until

    def accept(self, customer: Customer, quote: str) -> None:
        self.run(accept_quote, AcceptQuote(document=quote), customer.rep)
        self.counts.accepted += 1
        customer.buyer = True
        partial = self.rng.random() < 0.2
        self.later(self.rng.randint(1, 6), lambda day: self.order(customer, quote, partial))

    def refuse(self, customer: Customer, quote: str) -> None:
        self.run(refuse_quote, RefuseQuote(document=quote, reason=self.rng.choice(REFUSALS)), customer.rep)
        self.counts.refused += 1

    def part_of(self, document: str) -> list[LineQuantity] | None:
        """About half of what remains of a document's lines, or None when it cannot be split."""
        source = self.load(document)
        remaining = [(lid, q) for lid, q in source.remaining.items() if q > 0]
        if len(remaining) > 1:
            return [LineQuantity(line_id=lid, quantity=q) for lid, q in remaining[: len(remaining) // 2]]
        if remaining and remaining[0][1] >= 2:
            lid, q = remaining[0]
            return [LineQuantity(line_id=lid, quantity=Decimal(int(q) // 2))]
        return None

    def order(self, customer: Customer, quote: str, partial: bool) -> None:
        """Converts the accepted quote to an order (some in two deliveries) and confirms it."""
        lines = self.part_of(quote) if partial else None
        order = str(self.run(convert_document, ConvertDocument(document=quote, to="order", lines=lines)).id)
        if lines is not None:
            self.later(self.rng.randint(14, 35), lambda day: self.order(customer, quote, False))
        self.confirm(customer, order, 0)

    def confirm(self, customer: Customer, order: str, attempt: int) -> None:
        try:
            self.run(issue_document, IssueDocument(document=order), customer.rep)
        except Conflict as refusal:
            if refusal.code not in ("credit_limit", "credit_stop"):
                raise
            if refusal.code == "credit_limit":
                self.counts.credit_limit += 1
            else:
                self.counts.credit_stop += 1
            if refusal.code == "credit_limit" and attempt == 0:
                # Credit control holds the order until the customer's open invoices are paid.
                self.later(self.rng.randint(10, 21), lambda day: self.confirm(customer, order, 1))
            else:
                reason = f"Refused by credit control ({refusal.code.replace('_', ' ')})"
                self.run(cancel_document, CancelDocument(document=order, reason=reason), FINANCE)
                self.counts.cancelled += 1
            return
        self.counts.orders += 1
        customer.buyer = True
        partial = self.rng.random() < 0.15
        self.later(self.rng.randint(2, 18), lambda day: self.deliver(customer, order, partial))

    def deliver(self, customer: Customer, order: str, partial: bool) -> None:
        """The order is delivered (some in two parts) and invoiced."""
        lines = self.part_of(order) if partial else None
        invoice = str(self.run(convert_document, ConvertDocument(document=order, to="invoice", lines=lines)).id)
        if lines is not None:
            self.later(self.rng.randint(7, 21), lambda day: self.deliver(customer, order, False))
        self.issue_invoice(customer, invoice)

    def direct_invoice(self, customer: Customer) -> None:
        """Spare parts, service hours and training, invoiced without a quote."""
        rng = self.rng
        campaign = season_campaign(self.today()) if rng.random() < 0.1 else None
        invoice = self.draft("invoice", customer, self.lines(customer, campaign, 1, 4), campaign=campaign)
        self.issue_invoice(customer, invoice)

    def issue_invoice(self, customer: Customer, invoice: str) -> None:
        self.run(issue_document, IssueDocument(document=invoice), customer.rep)
        self.counts.invoices += 1
        self.plan_invoice(self.invoice(customer, invoice))

    def invoice(self, customer: Customer, invoice: str) -> Invoice:
        document = self.load(invoice)
        return Invoice(invoice, customer, document.number, document.total, document.issue_date, document.due_date)

    # -- after the invoice -----------------------------------------------------------------------

    def plan_invoice(self, invoice: Invoice, direct_debit: bool = False) -> None:
        """What happens to an invoice: a credit note, a dispute, a promise, grace, and payments."""
        rng = self.rng
        customer = invoice.customer
        if self.allowed("credit_notes", 0.035):
            self.later(rng.randint(2, 9), lambda day: self.credit_note(invoice))
        if not direct_debit and self.allowed("disputes", 0.02):
            resolved = rng.random() < 0.5
            # Raised once the first reminder came (L1 is 7 days past due), so its case records it.
            self.at(invoice.due + timedelta(days=rng.randint(9, 16)), lambda day: self.dispute(invoice, resolved))
            return
        if direct_debit:
            pay_on = invoice.issued + timedelta(days=rng.randint(3, 8))
        else:
            low, high = PAYERS[customer.payer][1]
            if customer.payer == "slow" and rng.random() < 0.4:
                return  # not paid within the year: it ages
            pay_on = max(invoice.issued + timedelta(days=2), invoice.due + timedelta(days=rng.randint(low, high)))
        if customer.payer in ("late", "slow") and self.allowed("promises", 0.15):
            ask = invoice.due + timedelta(days=rng.randint(7, 15))
            self.at(ask, lambda day: self.promise(invoice))
            return
        if self.allowed("graces", 0.04):
            self.at(invoice.due - timedelta(days=3), lambda day: self.grace(invoice))
            return
        partial = rng.random() < 0.08
        allocate = rng.random() > 0.15
        extra = Decimal(0)
        if self.allowed("overpayments", 0.03):
            extra = Decimal(rng.choice((20, 50, 100, 150)))
        share = Decimal(rng.choice((30, 40, 50, 60))) / 100 if partial else None
        self.at(pay_on, lambda day: self.pay(invoice, day, share, allocate, extra))

    def open_amount(self, invoice: Invoice) -> Decimal:
        account = self.container.store.get(Account.id_for(UUID(invoice.customer.ref)))
        return Decimal(account.open.get(UUID(invoice.id), Decimal(0)))  # type: ignore[attr-defined]

    def pay(self, invoice: Invoice, day: date, share: Decimal | None, allocate: bool, extra: Decimal) -> None:
        """A bank transfer booked with its value date; a share pays part now and the rest later."""
        open_amount = self.open_amount(invoice)
        if open_amount <= 0:
            return  # settled already (a payment on account went to it, or a credit note)
        amount = cents(open_amount * share) if share is not None else open_amount
        reference = f"Invoice {invoice.number}" if allocate else "Payment on account"
        if extra:
            reference = f"Invoice {invoice.number}, rounded up"
        command = ReceivePayment.model_validate(
            {
                "partner": invoice.customer.ref,
                "amount": str(amount + extra),
                "date": day.isoformat(),
                "currency": EUR,
                "reference": reference,
                "allocations": [{"document": invoice.id, "amount": str(amount)}] if allocate or extra else None,
            }
        )
        self.run(receive_payment, command, FINANCE)
        self.counts.payments += 1
        self.counts.overpayments += 1 if extra else 0
        if share is not None:
            rest = day + timedelta(days=self.rng.randint(20, 50))
            self.at(rest, lambda later: self.pay(invoice, later, None, True, Decimal(0)))

    def credit_note(self, invoice: Invoice) -> None:
        """Goods sent back, or a price reduction for damaged goods, credited on the invoice."""
        rng = self.rng
        document = self.load(invoice.id)
        line = rng.choice(list(document.lines.values()))
        if line.quantity >= 2 and rng.random() < 0.6:
            quantity = Decimal(max(1, int(line.quantity) // rng.randint(2, 4)))
            credited = {
                "product": line.product,
                "description": f"Returned: {line.description}",
                "quantity": str(quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "tax_rate": str(line.tax_rate),
                "unit_cost": str(line.unit_cost),
            }
        else:
            reduction = max(Decimal("1.00"), cents(line.net * Decimal(rng.choice((5, 10, 15))) / 100))
            credited = {
                "product": line.product,
                "description": f"Price reduction, damaged on delivery: {line.description}",
                "quantity": "1",
                "unit_price": str(reduction),
                "tax_rate": str(line.tax_rate),
            }
        note = self.draft("credit_note", invoice.customer, [credited], applies_to=invoice.id)
        self.run(issue_document, IssueDocument(document=note), invoice.customer.rep)
        self.counts.credit_notes += 1

    def dispute(self, invoice: Invoice, resolved: bool) -> None:
        rng = self.rng
        self.run(dispute_invoice, DisputeInvoice(document=invoice.id, reason=rng.choice(DISPUTES)), FINANCE)
        self.counts.disputes += 1
        if resolved:
            self.later(rng.randint(20, 40), lambda day: self.settle_dispute(invoice))

    def settle_dispute(self, invoice: Invoice) -> None:
        """The dispute ends with a credit note for part of the invoice; the rest is paid."""
        self.credit_note(invoice)
        self.run(resolve_dispute, ResolveDispute(document=invoice.id), FINANCE)
        self.later(self.rng.randint(5, 15), lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    def promise(self, invoice: Invoice) -> None:
        open_amount = self.open_amount(invoice)
        if open_amount <= 0:
            return
        when = self.today() + timedelta(days=self.rng.randint(7, 14))
        self.run(promise_payment, PromisePayment(document=invoice.id, amount=open_amount, date=when), FINANCE)
        self.counts.promises += 1
        if self.rng.random() < 0.8:  # most promises are kept
            self.at(when, lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    def grace(self, invoice: Invoice) -> None:
        until = invoice.due + timedelta(days=self.rng.randint(14, 28))
        self.run(grant_grace, GrantGrace(document=invoice.id, until=until), FINANCE)
        self.counts.graces += 1
        pay_on = until - timedelta(days=self.rng.randint(0, 10))
        self.at(pay_on, lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    # -- recurring invoices ----------------------------------------------------------------------

    def create_templates(self) -> None:
        rng = self.rng
        candidates = [
            c
            for c in self.customers
            if c.buyer
            and not c.held
            and c.plan.kind in ("org", "public", "child")
            and c.plan.command is not None
            and (c.plan.command.currency or EUR) == EUR
        ]
        wanted = max(4, min(10, len(self.customers) // 22))
        chosen = rng.sample(candidates, min(wanted, len(candidates)))
        for n, customer in enumerate(chosen):
            subscription = SUBSCRIPTIONS[n % len(SUBSCRIPTIONS)]
            item = subscription.item
            first = self.today() + timedelta(days=rng.randint(3, 30))
            command = CreateRecurringInvoice.model_validate(
                {
                    "partner": customer.ref,
                    "lines": [
                        {
                            "product": item.code,
                            "description": item.description,
                            "quantity": str(rng.randint(*subscription.quantities)),
                            "unit_price": str(item.price),
                            "tax_rate": str(self.tax_rate(customer, item)),
                            "unit_cost": str(item.cost),
                        }
                    ],
                    "frequency": {"unit": "month", "interval": subscription.interval},
                    "next_date": first.isoformat(),
                    "max_count": subscription.max_count,
                    "payment_terms_days": rng.choice((14, 30)),
                }
            )
            template = str(self.run(create_recurring_invoice, command, customer.rep).id)
            self.templates.append(Template(template, customer))
            self.counts.templates += 1
            if n == 1:
                halfway = (self.end - self.today()).days // 2
                self.later(halfway, partial(self.suspend, template))

    def suspend(self, template: str, _day: date) -> None:
        self.run(suspend_recurring_invoice, SuspendRecurringInvoice(template=UUID(template)), FINANCE)
        self.counts.suspended += 1

    def collect_recurring(self) -> None:
        """Plans the payments of the invoices the templates made at the day starts just run."""
        for template in self.templates:
            made = self.load(template.id).invoices
            for invoice_id in made[template.seen :]:
                self.counts.recurring += 1
                invoice = self.invoice(template.customer, str(invoice_id))
                self.plan_invoice(invoice, direct_debit=self.rng.random() < 0.7)
            template.seen = len(made)

    # -- collection ------------------------------------------------------------------------------

    def define_collection(self) -> None:
        """The dunning templates and the default scheme; the daily runs do the rest on their own."""
        for template in COLLECTION_TEMPLATES:
            command = CreateTemplate.model_validate({"purpose": "collection", "language": "en", **template})
            self.run(create_template, command, FINANCE)
        self.run(define_scheme, DefineScheme.model_validate(COLLECTION_SCHEME), FINANCE)

    def collection_summary(self) -> str:
        rows = _all_cases(CollectionQueries(self.container.catalog))
        open_cases = [r for r in rows if r["status"] == "open"]
        levels = ", ".join(
            f"L{level} {sum(1 for r in rows if r['level'] == level)}" for level in sorted({r["level"] for r in rows})
        )
        promised = sum(1 for r in rows if any(h["kind"].startswith("promise") for h in r["history"]))
        disputed = sum(1 for r in rows if any(h["kind"] == "dispute_raised" for h in r["history"]))
        return (
            f"collection: {len(rows)} cases ({len(open_cases)} open, {len(rows) - len(open_cases)} closed; "
            f"by level {levels or 'none'}; {disputed} disputed, {promised} with promises)"
        )

    # -- requests and complaints -----------------------------------------------------------------

    def plan_requests(self) -> None:
        """The service desk: request types and routing rules, then, over the last three weeks of
        the walk, requests that end in every state: open and overdue, escalated to the
        supervisor, in progress, closed with a resolution, final, confidential, one threaded
        reply and one request opened by e-mail. Their own generator keeps the sales figures."""
        for request_type in REQUEST_TYPES:
            self.run(define_request_type, DefineRequestType.model_validate(request_type), SUPERVISOR)
        for rule in ROUTING_RULES:
            self.run(add_routing_rule, AddRoutingRule.model_validate(rule), SUPERVISOR)
        rng = random.Random(REQUESTS_SEED)
        customers = [c for c in self.customers if c.buyer and not c.held and c.plan.kind != "person"]
        if not customers:
            return
        first = max(self.today() + timedelta(days=1), self.end - timedelta(days=REQUEST_WINDOW))
        for scenario in REQUEST_SCENARIOS:
            customer = rng.choice(customers)
            self.at(first + timedelta(days=scenario.opens_after), partial(self.open_scenario, scenario, customer))

    def open_scenario(self, scenario: RequestScenario, customer: Customer, _day: date) -> None:
        partner = self.load(customer.ref)
        contact = next((c for c in partner.contacts.values() if c.active and c.email), None)
        sender = (
            {"from": contact.email, "known_sender": {"partner": partner.id, "contact": contact.id}} if contact else None
        )
        if scenario.by_email:
            if sender is None:
                return
            mail = {"subject": scenario.subject, "body": scenario.description, "message_id": f"<demo-{uuid4()}@mail>"}
            opened = self.run(receive_email, ReceiveEmail.model_validate({**sender, **mail}), MAIL_GATEWAY)
        else:
            command = OpenRequest(
                type=scenario.type,
                partner=customer.ref,
                contact=contact.id if contact else None,
                subject=scenario.subject,
                description=scenario.description,
                priority=Priority(scenario.priority),
                confidentiality=Confidentiality(scenario.confidentiality),
            )
            opened = self.run(open_request, command, customer.rep)
        for after, step in scenario.steps:
            self.later(after, partial(self.request_step, str(opened.id), step, sender))

    def request_step(self, request: str, step: tuple[str, str], sender: dict[str, Any] | None, _day: date) -> None:
        """One later step of a scenario: ``(status, resolution)``, ``(comment|internal, text)``,
        ``(assign, user)`` or ``(reply, text)`` (the customer answers by e-mail)."""
        kind, text = step
        if kind in REQUEST_STATUSES:
            change = ChangeRequestStatus(request=request, status=RequestStatus(kind), resolution=text or None)
            self.run(change_request_status, change, SUPERVISOR)
        elif kind in ("comment", "internal"):
            visibility = Visibility.PUBLIC if kind == "comment" else Visibility.INTERNAL
            self.run(comment_on_request, CommentOnRequest(request=request, text=text, visibility=visibility), "anna")
        elif kind == "assign":
            self.run(assign_request, AssignRequest(request=request, to=text), SUPERVISOR)
        elif sender is not None:
            number = self.load(request).number
            mail = {"subject": f"Re: [{number}] your request", "body": text, "message_id": f"<demo-{uuid4()}@mail>"}
            self.run(receive_email, ReceiveEmail.model_validate({**sender, **mail}), MAIL_GATEWAY)

    # -- activities ------------------------------------------------------------------------------

    def plan_activities(self) -> None:
        """The sales reps' calls, meetings, tasks and notes over the walk's last four weeks: calls
        and meetings within the contact's hours and reminded before they start, most completed
        afterwards, some tasks left open past their due date, and the last ones planned beyond
        the walk's end with their reminders pending. Their own generator keeps the sales figures."""
        rng = random.Random(ACTIVITIES_SEED)
        customers = [c for c in self.customers if not c.held]
        if not customers:
            return
        first = max(self.today() + timedelta(days=1), self.end - timedelta(days=ACTIVITY_WINDOW))
        kinds, weights = [k for k, _ in ACTIVITY_KINDS], [w for _, w in ACTIVITY_KINDS]
        for n in range(ACTIVITY_PLANS):
            customer = rng.choice(customers)
            rep = customer.rep if customer.rep in REPS else REPS[n % len(REPS)]
            kind = rng.choices(kinds, weights)[0]
            day = first + timedelta(days=rng.randint(0, max(0, (self.end - first).days)))
            own = random.Random(rng.random())
            self.at(day, partial(self.plan_activity, own, ActivityKind(kind), customer, rep))

    def plan_activity(self, rng: random.Random, kind: ActivityKind, customer: Customer, rep: str, _day: date) -> None:
        partner = self.load(customer.ref)
        contacts = [c for c in partner.contacts.values() if c.active]
        contact = rng.choice(contacts) if contacts else None
        command: dict[str, Any] = {
            "kind": kind.value,
            "partner": customer.ref,
            "contact": contact.id if contact else None,
            "subject": rng.choice(ACTIVITY_SUBJECTS[kind.value]),
            "assignee": rep,
        }
        if kind is ActivityKind.TASK:
            due = self.today() + timedelta(days=rng.randint(1, 6))
            result = self.run(record_activity, RecordActivity.model_validate({**command, "due_on": due}), rep)
            if rng.random() < 0.6:  # the rest stay open: overdue once their date has passed
                self.at(due - timedelta(days=rng.randint(0, 1)), partial(self.complete_activity, result.id, None, rep))
            return
        if kind is ActivityKind.NOTE:
            self.run(record_activity, RecordActivity.model_validate({**command, "assignee": None}), rep)
            return
        minutes = 60 if kind is ActivityKind.MEETING else 30
        slot = self.slot(rng, contact.availability if contact and contact.availability else OFFICE_HOURS, minutes)
        if slot is None:
            return
        start, end = slot
        timing = {"start_at": start, "end_at": end, "remind_minutes_before": rng.choice((15, 30, 60))}
        result = self.run(record_activity, RecordActivity.model_validate({**command, **timing}), rep)
        if rng.random() < 0.75:
            done = partial(self.complete_activity, result.id, rng.choice(OUTCOMES), rep)
            self.at(start.date() + timedelta(days=1), done)

    def slot(
        self, rng: random.Random, hours: tuple[Availability, ...], minutes: int
    ) -> tuple[datetime, datetime] | None:
        """A start on the half hour within the hours, one to six days from today, and its end."""
        zone = self.container.clock.zone
        for ahead in rng.sample(range(1, 7), 6):
            day = self.today() + timedelta(days=ahead)
            starts = [
                datetime.combine(day, time(0), zone) + timedelta(minutes=m)
                for a in hours
                if a.weekday == day.isoweekday()
                for m in range(_minutes(a.start), _minutes(a.end) - minutes + 1, 30)
            ]
            if starts:
                start = rng.choice(starts)
                return start, start + timedelta(minutes=minutes)
        return None

    def complete_activity(self, activity: UUID | None, outcome: str | None, rep: str, _day: date) -> None:
        assert activity is not None
        self.run(complete_activity, CompleteActivity(activity=activity, outcome=outcome), rep)

    def activities_summary(self) -> str:
        table = self.container.catalog.table("activities", "activities")
        with self.container.engine.connect() as conn:
            rows = conn.execute(select(table.c.kind, table.c.status, table.c.due_on, table.c.reminder_status)).all()
        kinds = ", ".join(f"{sum(1 for r in rows if r.kind == k)} {k}s" for k, _ in ACTIVITY_KINDS)
        done = sum(1 for r in rows if r.status == "completed")
        overdue = sum(1 for r in rows if r.status == "open" and r.due_on is not None and r.due_on < self.today())
        reminded = sum(1 for r in rows if r.reminder_status == "sent")
        pending = sum(1 for r in rows if r.reminder_status == "pending")
        return (
            f"activities: {len(rows)} ({kinds}; {done} completed, {overdue} overdue; "
            f"{reminded} reminders sent, {pending} pending)"
        )

    def requests_summary(self) -> str:
        queries = RequestQueries(self.container.catalog)
        now = self.container.clock.now()
        rows = queries.search(PageRequest(limit=500), now)["items"]
        by_status = {s: sum(1 for r in rows if r["status"] == s) for s in REQUEST_STATUSES}
        overdue = sum(1 for r in rows if r["due_state"] == "overdue" and r["status"] in ("open", "in_progress"))
        escalated = sum(1 for r in rows if r["escalated"])
        states = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in by_status.items())
        return f"requests: {len(rows)} ({states}; {overdue} overdue, {escalated} escalated)"

    # -- the walk --------------------------------------------------------------------------------

    def steps(self) -> list[date]:
        days = []
        day = self.today()
        while day < self.end:
            day = min(self.end, day + timedelta(days=self.rng.randint(2, 5)))
            days.append(day)
        return days

    def new_business(self, days: int) -> None:
        rng = self.rng
        factor = SEASON[self.today().month] * days / 365
        weights = [c.weight for c in self.customers]
        expected = QUOTES_PER_YEAR * len(self.customers) * factor
        for customer in rng.choices(self.customers, weights, k=self.count(expected)):
            self.new_quote(customer)
        buyers = [c for c in self.customers if c.buyer and not c.held]
        if buyers:
            expected = INVOICES_PER_YEAR * len(buyers) * factor
            for customer in rng.choices(buyers, [c.weight for c in buyers], k=self.count(expected)):
                self.direct_invoice(customer)

    def count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def walk(self) -> str:
        steps = self.steps()
        bar = self.loader.bar
        task = bar.add_task("Sales year", total=len(steps))
        if steps:
            self.run(set_quote_settings, QuoteSettings(order_on_accept=False), SUPERVISOR)
            self.define_collection()
            self.create_templates()
            self.plan_requests()
            self.plan_activities()
        previous = self.today()
        for day in steps:
            self.loader.tick(day, time(self.rng.randint(8, 16), self.rng.randint(0, 59)))
            self.collect_recurring()
            while self.agenda and self.agenda[0][0] <= day:
                due, _, action = heapq.heappop(self.agenda)
                action(due)
            self.new_business((day - previous).days)
            previous = day
            bar.advance(task)
        self.container.runner.drain()
        bar.update(task, description="Sales year loaded")
        return self.summary(len(steps))

    def summary(self, steps: int) -> str:
        c = self.counts
        catalog, engine = self.container.catalog, self.container.engine
        docs = catalog.table("documents", "documents")
        items, movements = catalog.table("receivables", "items"), catalog.table("receivables", "movements")
        with engine.connect() as conn:
            statuses = conn.execute(
                select(docs.c.type, docs.c.status, func.count()).group_by(docs.c.type, docs.c.status)
            ).all()
            open_items, overdue = conn.execute(
                select(
                    func.coalesce(func.sum(items.c.open_amount), 0),
                    func.coalesce(func.sum(case((items.c.due_date < self.today(), items.c.open_amount), else_=0)), 0),
                ).where(items.c.status == "open")
            ).one()
            unapplied = conn.execute(select(func.coalesce(func.sum(movements.c.unapplied), 0))).scalar_one()
        issued: dict[str, int] = {}
        quotes: dict[str, int] = {}
        for doc_type, status, n in statuses:
            if status not in ("draft", "cancelled"):
                issued[doc_type] = issued.get(doc_type, 0) + n
            if doc_type == "quote":
                quotes[status] = n
        accepted = sum(quotes.get(s, 0) for s in ("accepted", "partially_ordered", "ordered"))
        balance = Decimal(open_items) - Decimal(unapplied)
        return (
            f"sales year {self.start} → {self.today()} in {steps} steps: "
            f"{issued.get('quote', 0)} quotes ({accepted} accepted, {quotes.get('refused', 0)} refused, "
            f"{quotes.get('expired', 0)} expired), {issued.get('order', 0)} orders, "
            f"{issued.get('invoice', 0)} invoices ({c.recurring} from {c.templates} recurring templates, "
            f"{c.suspended} suspended), {issued.get('credit_note', 0)} credit notes, {c.payments} payments "
            f"({c.overpayments} overpaid), {c.disputes} disputes, {c.promises} promises, {c.graces} grace periods; "
            f"{c.credit_limit + c.credit_stop} order confirmations refused by credit control "
            f"({c.credit_limit} credit_limit, {c.credit_stop} credit_stop; {c.cancelled} orders cancelled); "
            f"open balance {cents(balance)} EUR ({cents(Decimal(open_items))} open, "
            f"{cents(Decimal(overdue))} overdue, {cents(Decimal(unapplied))} unapplied credit); "
            f"{self.collection_summary()}; {self.requests_summary()}; {self.activities_summary()}"
        )


# -- interest areas and a mailing ----------------------------------------------------------------

MAILING_SEED = SEED + 7
INTEREST_AREAS: list[dict[str, Any]] = [
    {"code": "NEWSLETTER", "name": "Monthly newsletter", "self_service": True},
    {"code": "PRODUCT-NEWS", "name": "New products and price lists", "self_service": True},
    {"code": "EVENTS", "name": "Trade fairs and customer events", "self_service": False},
]
# (area, share of the active contacts with an e-mail who subscribe, share of those who leave again)
SUBSCRIBERS = (("NEWSLETTER", 0.35, 0.08), ("PRODUCT-NEWS", 0.15, 0.05), ("EVENTS", 0.1, 0.0))
NEWSLETTER = {
    "code": "NEWSLETTER",
    "channel": "email",
    "purpose": "campaign",
    "subject": "{{ partner.name }}: our news of {{ today[:7] }}",
    "body": "Dear {{ contact.name }},\n\nthis month: the new catalogue is out, prices for 2026 stay where they\n"
    "are, and our spring trade fair dates are set.\n\nKind regards\nYour Counterparty team\n\n"
    "You receive this e-mail because you subscribed to our newsletter or are one of our key\n"
    "accounts. To receive no more of it: {{ unsubscribe_url }}\n",
}


def interest_areas_and_mailing(loader: DemoLoader) -> str:
    """Three interest areas with subscribers among the active contacts that have an e-mail (some
    of whom leave again, one of them every mailing), then the newsletter to its subscribers and
    the key accounts (G-VIP) in one mailing, which the sender delivers once the demo serves."""
    container = loader.container
    rng = random.Random(MAILING_SEED)
    for definition in INTEREST_AREAS:
        loader.run(create_interest_area, CreateInterestArea.model_validate(definition))
    container.runner.drain()
    contacts = container.catalog.table("mailings", "contacts")
    partners = container.catalog.table("partner_directory", "partners")
    with container.engine.connect() as conn:
        # In an order that does not depend on the (random) ids, so one size gives one data set.
        rows = conn.execute(
            select(contacts.c.contact_id, contacts.c.partner_id)
            .join(partners, partners.c.id == contacts.c.partner_id)
            .where(contacts.c.active.is_(True), contacts.c.email.is_not(None))
            .order_by(partners.c.code, contacts.c.name, contacts.c.email)
        ).all()
    subscribed = left = 0
    for contact_id, partner_id in rows:
        for area, share, leaving in SUBSCRIBERS:
            if rng.random() < share:
                loader.run(subscribe, Subscribe(area=area, contact=contact_id, partner=partner_id))
                subscribed += 1
                if rng.random() < leaving:
                    loader.run(opt_out, OptOut(area=area, contact=contact_id, partner=partner_id))
                    left += 1
    if rows:
        contact_id, partner_id = rows[len(rows) // 2]
        loader.run(opt_out_contact, OptOutContact(partner=partner_id, contact=contact_id))
    loader.run(create_template, CreateTemplate.model_validate(NEWSLETTER))
    container.runner.drain()
    spec = MailingSpec(template="NEWSLETTER", interest_areas=["NEWSLETTER"], groups=["G-VIP"])
    queries = MailingQueries(container.catalog)
    mailing = send_mailing(loader.run, queries, spec, container.settings.public_url)
    container.runner.drain()
    found = queries.get(str(mailing))
    return (
        f"{len(INTEREST_AREAS)} interest areas with {subscribed} subscriptions ({left} left again), "
        f"a newsletter mailing to {found['recipients']} recipients ({len(found['skipped'])} skipped)"
    )


# -- a campaign and what it brought ----------------------------------------------------------------

CAMPAIGN_SEED = SEED + 9
CAMPAIGN_CODE = "RACKING-PRO"
CAMPAIGN_TEMPLATE = {
    "code": "RACKING-PRO",
    "channel": "email",
    "purpose": "campaign",
    "subject": "{{ partner.name }}: the professional racking range, 8 % off until the end of next month",
    "body": "Dear {{ contact.name }},\n\nour new professional racking range is in stock: pallet racking bays,\n"
    "heavy-duty shelving and safety cabinets, with installation by our own team.\n"
    "Order by the end of next month and quote RACKING-PRO for 8 % off.\n\nKind regards\n"
    "Your Counterparty team\n\nTo receive no more of these e-mails: {{ unsubscribe_url }}\n",
}
CAMPAIGN_PRODUCTS = ("RACK-PAL", "SHELF-HD", "CAB-SAFE", "SVC-INST")
CAMPAIGN_BUYERS = 6  # targeted partners who order with the campaign's code
SEASON_NAMES = {"WINTER": "Winter", "SPRING": "Spring", "SUMMER": "Summer", "AUTUMN": "Autumn"}


def campaigns(loader: DemoLoader) -> str:
    """The professional racking campaign for the partners whose contacts read the product news
    and who bought in the last year: an agency's cost when planned, the printed catalogues added
    later, launched as a mailing; a few of them order with its code, one sends a shelf back. And
    the season promotions the year's documents named, planned with their costs, so that their
    effectiveness shows on real sales."""
    container = loader.container
    rng = random.Random(CAMPAIGN_SEED)
    today = loader.today()
    queries = CampaignQueries(container.catalog)
    seasons = season_campaigns(loader, rng)
    loader.run(create_template, CreateTemplate.model_validate(CAMPAIGN_TEMPLATE))
    target = TargetIn(
        interest_areas=["PRODUCT-NEWS"],
        revenue_from=today - timedelta(days=365),
        min_revenue=Decimal("0.01"),
    )
    plan = PlanCampaign(
        code=CAMPAIGN_CODE,
        name="Professional racking range",
        start_date=today,
        end_date=today + timedelta(days=45),
        cost=Decimal("2400.00"),
        template=CAMPAIGN_TEMPLATE["code"],
        target=target,
    )
    loader.run(plan_campaign, plan)
    cost = AddCampaignCost(code=CAMPAIGN_CODE, amount=Decimal("860.00"), description="Printed catalogues")
    loader.run(add_campaign_cost, cost)
    container.runner.drain()
    targets = queries.target_ids(CAMPAIGN_CODE)
    if not targets:
        return f"{seasons}; campaign {CAMPAIGN_CODE} planned (no partner meets its criteria yet, not launched)"
    launch = LaunchCampaign(code=CAMPAIGN_CODE, targets=targets, links=container.settings.public_url)
    prepare(container.ports, loader.run(launch_campaign, launch).detail, ACTOR)
    container.runner.drain()
    catalogue = {p.code: p for p in CATALOGUE}
    invoices = [
        campaign_invoice(loader, str(partner), [catalogue[code] for code in CAMPAIGN_PRODUCTS], rng)
        for partner in rng.sample(targets, min(CAMPAIGN_BUYERS, len(targets)))
    ]
    returned = container.store.get(UUID(invoices[0]))
    assert isinstance(returned, SalesDocument)
    shelf = next(line for line in returned.lines.values() if line.product == "SHELF-HD")
    note = {
        "product": shelf.product,
        "description": f"Returned: {shelf.description}",
        "quantity": "1",
        "unit_price": str(shelf.unit_price),
        "discount_percent": str(shelf.discount_percent),
        "tax_rate": str(shelf.tax_rate),
        "unit_cost": str(shelf.unit_cost),
    }
    issue_campaign_document(loader, str(returned.terms.partner), "credit_note", [note], applies_to=invoices[0])
    container.runner.drain()
    f = queries.effectiveness(CAMPAIGN_CODE)
    return (
        f"{seasons}; campaign {CAMPAIGN_CODE} mailed to {f['messages']} contacts of {f['targeted']} partners: "
        f"{f['documents']} documents, revenue {f['revenue']}, margin {f['margin']} EUR against "
        f"{f['campaign_cost']} EUR of costs (ROI {f['roi_percent']} %)"
    )


def campaign_invoice(loader: DemoLoader, partner: str, products: list[Product], rng: random.Random) -> str:
    """An invoice of the campaign's products at its 8 % discount, with the partner's VAT."""
    lines = [
        {
            "product": item.code,
            "description": item.description,
            "quantity": str(rng.randint(item.quantities[0], max(item.quantities[0], item.quantities[1] // 3))),
            "unit_price": str(item.price),
            "discount_percent": "8",
            "unit_cost": str(item.cost),
        }
        for item in products[: rng.randint(2, len(products))]
    ]
    return issue_campaign_document(loader, partner, "invoice", lines)


def issue_campaign_document(
    loader: DemoLoader, partner: str, doc_type: str, lines: list[dict[str, Any]], **terms: Any
) -> str:
    """A document naming the campaign, issued today; lines without a tax rate take the VAT of the
    partner's country (that of its first address)."""
    found = loader.container.store.get(UUID(partner))
    assert isinstance(found, Partner)
    addresses = list(found.addresses.values())
    rate = str(TAX_RATES.get(addresses[0].country if addresses else "", Decimal("0")))
    command = DraftDocument.model_validate(
        {
            "type": doc_type,
            "partner": partner,
            "currency": EUR,
            "campaign": CAMPAIGN_CODE,
            "lines": [{"tax_rate": rate, **line} for line in lines],
            **terms,
        }
    )
    document = str(loader.run(draft_document, command).id)
    loader.run(issue_document, IssueDocument(document=document))
    return document


def season_campaigns(loader: DemoLoader, rng: random.Random) -> str:
    """The season promotions the year's documents named (``season_campaign``), planned now with
    the period of those documents and an agency's cost."""
    container = loader.container
    docs = container.catalog.table("documents", "documents")
    first, last = func.min(docs.c.issue_date), func.max(docs.c.issue_date)
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(docs.c.campaign, first, last)
            .where(docs.c.campaign.is_not(None), docs.c.status.notin_(("draft", "cancelled")))
            .group_by(docs.c.campaign)
            .order_by(first)
        ).all()
    for code, start, end in rows:
        season = code.rstrip("0123456789")
        name = f"{SEASON_NAMES.get(season, season.title())} 20{code[len(season) :]} promotion"
        cost = Decimal(rng.randrange(12, 40) * 100)
        loader.run(plan_campaign, PlanCampaign(code=code, name=name, start_date=start, end_date=end, cost=cost))
    return f"{len(rows)} season promotions"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _all_cases(queries: CollectionQueries) -> list[dict[str, Any]]:
    """Every collection case, page by page."""
    cases: list[dict[str, Any]] = []
    request = PageRequest(limit=500)
    while True:
        result = queries.cases(request, None, None, None)
        cases += result["items"]
        if not result["next_cursor"]:
            return cases
        request = PageRequest(limit=500, cursor=result["next_cursor"])


def already_loaded(container: Container) -> str | None:
    """Why the demo should not load again, or None when the store is fresh."""
    container.runner.drain()
    partners = container.catalog.table("partner_directory", "partners")
    with container.engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(partners)).scalar_one())
    events = container.store.head()
    if container.store.stream_version(User.id_for(SUPERVISOR)):
        return f"the demo data set was already loaded ({count} partners, {events} events in the log); nothing was added"
    if count:
        return f"the store already holds {count} partners ({events} events); the demo loads only into a fresh store"
    return None


def load_demo(container: Container, partners: int, bar: Progress, days: int = DAYS) -> str:
    """Loads the demo data set through the commands and answers a one-line summary: the partners
    over the first weeks, then a year of sales (``days`` from the clock's first day, never past
    today). A store that already holds partners (or the demo's users) is left alone."""
    reason = already_loaded(container)
    if reason:
        return reason
    return DemoLoader(container, partners, bar, days).load()


def portal_invite(container: Container) -> tuple[str, str, str] | None:
    """A fresh portal token for a contact of a customer with a quote waiting for an answer (else
    of any partner with an active contact), so the demo can show the customer portal: (partner
    code, contact name, token). A token is shown once, so every run issues a new one."""
    docs = container.catalog.table("documents", "documents")
    partners = container.catalog.table("partner_directory", "partners")
    quoted = select(docs.c.partner_id).where(docs.c.type == "quote", docs.c.status == "sent")
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(partners.c.id, partners.c.code, partners.c.contacts)
            .where(partners.c.status == "active")
            .order_by(partners.c.id.in_(quoted).desc(), partners.c.code)
        ).all()
    for partner_id, code, contacts in rows:
        contact = next((c for c in json.loads(contacts).values() if c["active"]), None)
        if contact is not None:
            token = new_token()
            command = IssuePortalToken(partner=partner_id, contact=contact["id"], token_hash=hash_key(token))
            container.execute(issue_portal_token, command, Request(actor=ACTOR))
            container.runner.drain()
            return code, contact["name"], token
    return None
