"""What `counterparty demo` prints once its data are loaded: the key, the links and calls to try.
Printed as plain text, never re-wrapped: each curl call has one option per line with ``\\``
continuations, so it pastes as one command from any terminal 80 columns wide."""

from __future__ import annotations

from pathlib import Path

# The reads worth a first look, as paths under the base URL.
TRIES = (
    "/v1/partners?limit=5",
    "/v1/partners?q=gmbh&sort=-created_on",
    "/v1/clock",
    "/v1/audit/events?limit=5",
    "/v1/receivables/aging",
    "/v1/reports/profitability?group_by=product",
)


def curl(base: str, key: str, path: str) -> str:
    """A copyable GET: the command, its header and its quoted URL each on a line of their own."""
    return "\n".join(("curl \\", f"  -H 'Authorization: Bearer {key}' \\", f"  '{base}{path}'"))


def banner(summary: str, base: str, key: str | None, invite: tuple[str, str, str] | None, demo_env: Path | None) -> str:
    """The text printed after loading; ``invite`` is (customer code, contact, portal token) and
    ``demo_env`` the file that makes `make serve` serve these data again."""
    lines = [f"Counterparty demo loaded: {summary}", ""]
    if key is not None:
        lines.append(f"Admin key: {key}")
    lines.append(f"API docs:  {base}/docs")
    if invite is not None:
        code, contact, token = invite
        # The link alone on its line: a terminal that folds it still copies it whole.
        lines += ["", f"Customer portal of {code} (contact {contact}):", f"{base}/portal/?token={token}"]
    if demo_env is not None:
        lines += ["", f"To serve these data again: make serve (it reads {demo_env})"]
    if key is not None:
        lines += ["", "Try:"]
        for path in TRIES:
            lines += [curl(base, key, path), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
