"""The built-in templates of balance confirmations, one e-mail and one letter per language: what a
series sends when it names no template. They are ordinary templates (GET/PATCH /v1/templates),
made the first time a series needs them, so that a clerk can reword them."""

from __future__ import annotations

from aggregates.template import Channel, Purpose, Template, TemplateContent
from commands.context import CommandContext

LANGUAGES = ("en", "de", "fr", "bg")

# (subject, greeting, request, item number, due date, amount, open, total, how to answer)
_WORDS = {
    "en": (
        "Balance confirmation {{ confirmation.number }} as of {{ fmt.date(confirmation.as_of) }}",
        "Dear customer,",
        "please confirm the open items of your account with us as of {{ fmt.date(confirmation.as_of) }}:",
        ("Document", "Due date", "Amount", "Open"),
        "Total open",
        "Please confirm or dispute this balance in our customer portal or by replying to us.",
    ),
    "de": (
        "Saldenbestätigung {{ confirmation.number }} zum {{ fmt.date(confirmation.as_of) }}",
        "Sehr geehrte Damen und Herren,",
        "bitte bestätigen Sie die offenen Posten Ihres Kontos bei uns zum {{ fmt.date(confirmation.as_of) }}:",
        ("Beleg", "Fällig", "Betrag", "Offen"),
        "Summe offen",
        "Bitte bestätigen oder bestreiten Sie diesen Saldo im Kundenportal oder durch Ihre Antwort an uns.",
    ),
    "fr": (
        "Confirmation de solde {{ confirmation.number }} au {{ fmt.date(confirmation.as_of) }}",
        "Madame, Monsieur,",
        "merci de confirmer les postes ouverts de votre compte chez nous au {{ fmt.date(confirmation.as_of) }} :",
        ("Document", "Échéance", "Montant", "Ouvert"),
        "Total ouvert",
        "Merci de confirmer ou de contester ce solde dans notre portail client ou en nous répondant.",
    ),
    "bg": (
        "Потвърждение на салдо {{ confirmation.number }} към {{ fmt.date(confirmation.as_of) }}",
        "Уважаеми клиенти,",
        "моля, потвърдете откритите позиции по сметката ви при нас към {{ fmt.date(confirmation.as_of) }}:",
        ("Документ", "Падеж", "Сума", "Открито"),
        "Общо открито",
        "Моля, потвърдете или оспорете салдото в клиентския портал или с отговор до нас.",
    ),
}

# The items are listed per currency, each currency with its own total (``t``: one of ``totals``).
_PER_CURRENCY = "{% for t in confirmation.totals %}"
_ITEMS = "{% for i in confirmation['items'] if i.currency == t.currency %}"
_ROWS = (
    f"{_ITEMS}{{{{ i.number or '' }}}}  {{{{ fmt.date(i.due_date) }}}}  "
    "{{ fmt.amount(i.amount) }}  {{ fmt.amount(i.open_amount) }}\n{% endfor %}"
)
_TOTAL = "{{ fmt.money(t.total, t.currency) }}"


def template_code(channel: Channel, language: str) -> str:
    return f"BC-{channel.value.upper()}-{language.upper()}"


def _content(channel: Channel, language: str) -> TemplateContent:
    subject, greeting, request, heads, total, answer = _WORDS[language]
    if channel is Channel.EMAIL:
        body = (
            f"{greeting}\n\n{request}\n\n{'  '.join(heads)}\n"
            f"{_PER_CURRENCY}{_ROWS}\n{total}: {_TOTAL}\n\n{{% endfor %}}{answer}\n"
        )
    else:
        cells = "".join(f"<th>{h}</th>" for h in heads)
        body = (
            f"<p>{greeting}</p><p>{request}</p>{_PER_CURRENCY}<table><tr>{cells}</tr>"
            f"{_ITEMS}<tr><td>{{{{ i.number or '' }}}}</td>"
            "<td>{{ fmt.date(i.due_date) }}</td><td>{{ fmt.amount(i.amount) }}</td>"
            "<td>{{ fmt.amount(i.open_amount) }}</td></tr>{% endfor %}</table>"
            f"<p><strong>{total}: {_TOTAL}</strong></p>{{% endfor %}}"
            f"<p>{answer}</p>"
        )
    return TemplateContent(channel=channel, purpose=Purpose.DOCUMENT, language=language, subject=subject, body=body)


def builtin_template(ctx: CommandContext, channel: Channel, language: str) -> str:
    """The code of the built-in template of the channel in the language (else English), made
    (tracked in ``ctx``, saved with the caller's aggregates) when it does not exist yet."""
    language = language if language in _WORDS else "en"
    code = template_code(channel, language)
    if ctx.find(Template, Template.id_for(code)) is None:
        ctx.track(Template.create(code, _content(channel, language)))
    return code
