"""The demo data set: users, partner groups, custom fields and a few hundred European business
partners with contacts, addresses, notes, credit holds, subsidiaries and merged duplicates.

Everything goes through the public command functions, exactly as the API would record it, while
the manual business clock is moved forward a few days between batches, so the partners are
created over several weeks of business time. The random generator is seeded: the same number of
partners gives the same names, codes and figures every time (only ids and wall-clock timestamps
differ)."""

from __future__ import annotations

import random
import time as timer
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from rich.progress import Progress
from sqlalchemy import func, select

from aggregates.user import User
from commands.context import CommandContext, Result
from commands.custom_fields import DefineCustomField, define_custom_field
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
from commands.users import RegisterUser, register_user
from services.container import Container, Request

ACTOR = "demo"
SEED = 20260115
MAX_DAYS = 60
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
    def __init__(self, container: Container, partners: int, bar: Progress) -> None:
        self.container = container
        self.total = max(0, partners)
        self.bar = bar
        self.rng = random.Random(SEED)
        self.counts = Counts()
        self.used: set[str] = set()
        self.plans: list[Plan] = []
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
        self.bar.update(self.task, description="Demo data loaded", completed=self.total)
        end = self.today()
        c = self.counts
        return (
            f"{c.users} users, {c.groups} partner groups, {c.fields} custom fields, "
            f"{c.partners} partners ({c.organizations} organizations incl. {c.subsidiaries} subsidiaries, "
            f"{c.persons} persons; {c.partners - c.absorbed} active), {c.contacts} contacts, "
            f"{c.addresses} addresses, {c.notes} notes, {c.conversions} prospects converted, "
            f"{c.holds} credit holds, {c.merges} merges ({c.absorbed} duplicates absorbed); "
            f"clock moved {(end - start).days} days ({start} → {end}) in {batches} batches; "
            f"{timer.monotonic() - began:.1f} s"
        )


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


def load_demo(container: Container, partners: int, bar: Progress) -> str:
    """Loads the demo data set through the commands and answers a one-line summary. A store that
    already holds partners (or the demo's users) is left alone."""
    reason = already_loaded(container)
    if reason:
        return reason
    return DemoLoader(container, partners, bar).load()
