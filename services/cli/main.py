"""The ``counterparty`` command line."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperCommand

from services.cli.launch import load_settings, port_in_use
from services.settings import Settings


def _commands(help: str) -> typer.Typer:
    # Plain help: typer's rich panels label every flag (--help included) with a ``<bool>`` value.
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)


class PlainUsage(TyperCommand):
    """Typer writes a required argument as ``{NAME}`` in the usage line, as if the braces were to
    be typed; click's plain ``NAME`` is what the arguments list names."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # typer's own (vendored) click Context
        return [re.sub(r"^\{(.+)\}$", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]


app = _commands("Counterparty: the event-sourced back office for business partners.")
projections_app = _commands("Read models: status and rebuilds.")
keys_app = _commands("API keys: create, list, revoke.")
app.add_typer(projections_app, name="projections")
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
# What the demo's data set needs unless the environment says otherwise.
DEMO_DEFAULTS = {"CPTY_CLOCK": "manual", "CPTY_ADMIN_KEY": "demo-admin-key"}


def _container(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from services.adapters.logs import configure
    from services.adapters.personal_data import MasterKeyMismatch
    from services.bootstrap.container import Container

    settings = settings or load_settings()
    configure(settings.log_level)
    try:
        container = Container(settings)
    except MasterKeyMismatch as error:  # a process with another master key must not start
        say(str(error))
        raise typer.Exit(1) from None
    container.runner.ensure_reactors()
    return container


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )


def say(line: str) -> None:
    """One line on stderr as written: never wrapped at the terminal's width, nor styled."""
    console.print(line, soft_wrap=True, highlight=False, markup=False)


def check_port(host: str, port: int, command: str) -> None:
    """Refuses, in one line, a port that is taken, before anything is loaded."""
    problem = port_in_use(host, port)
    if problem is not None:
        other = port + 1
        choices = f"`counterparty {command} --port {other}`"
        if command in ("demo", "serve"):
            choices = f"`make {command} PORT={other}`, {choices} or CPTY_PORT={other}"
        say(f"{problem}: stop what listens there or choose another port, e.g. {choices}")
        raise typer.Exit(1)


def serve_container(container, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from services.api.app import create_app

    container.start()
    try:
        uvicorn.run(create_app(container), host=host, port=port, log_config=None, access_log=False)
    finally:
        container.close()


@app.command(short_help="Run the API (and, with CPTY_ROLE=all, every job)")
def serve(
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="address to listen on")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option("--port", metavar="PORT", help="port to listen on  [default: CPTY_PORT, else 8000]")
    ] = None,
) -> None:
    """Run the API; with CPTY_ROLE=all (the default) also the read models, process managers,
    scheduler, sender, mailing preparer and Kafka jobs; with CPTY_ROLE=api the API alone, the
    jobs being left to `counterparty worker`s (PostgreSQL). On the data of `counterparty demo`
    it runs with the demo's settings (its clock, admin key and port, from <data dir>/demo.env)."""
    settings = load_settings(port=port)
    if settings.role == "api" and not settings.event_store_url.startswith("postgres"):
        console.print("CPTY_ROLE=api needs PostgreSQL (CPTY_DATABASE_URL): on SQLite one process does everything")
        raise typer.Exit(2)
    check_port(host, settings.port, "serve")
    serve_container(_container(settings), host, settings.port)


@app.command(short_help="Run the jobs without the API")
def worker(
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="address of /healthz, /readyz and /metrics (with --port)")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option("--port", metavar="PORT", help="port of /healthz, /readyz and /metrics  [default: none]"),
    ] = None,
) -> None:
    """Run the read models, process managers, scheduler, sender, mailing preparer and Kafka jobs
    without the API. Of several workers on one PostgreSQL database, one leads each job family
    (an advisory lock) and the others stand by to take over."""
    import signal
    import threading

    if port is not None:
        check_port(host, port, "worker")
    container = _container()
    container.role = "worker"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    container.start()
    server = None
    if port is not None:
        import uvicorn

        from services.api.app import create_operations_app

        # In a thread of its own uvicorn leaves the signals to us, so a SIGTERM stops the jobs too.
        config = uvicorn.Config(
            create_operations_app(container), host=host, port=port, log_config=None, access_log=False
        )
        server = uvicorn.Server(config)
        threading.Thread(target=server.run, name="operations-http", daemon=True).start()
    console.print("worker running; Ctrl-C stops it")
    stop.wait()
    if server is not None:
        server.should_exit = True
    container.close()


@app.command("consume-payments", short_help="Book bank statement lines from Kafka as payments")
def consume_payments(
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic", metavar="TOPIC", help="the topic of bank statement lines  [default: CPTY_KAFKA_PAYMENTS_TOPIC]"
        ),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="stop when the topic has been read to its end")] = False,
) -> None:
    """Book bank statement lines from Kafka as payments (needs CPTY_KAFKA_BOOTSTRAP).

    Each line is JSON {"id", "date", "amount", "currency", "reference", "partner": code|null,
    "iban"}, booked for the partner with that code or with an invoice number in the reference,
    oldest due first, once per id. Unmatched and malformed lines go to <topic>.dead; unmatched
    ones also to GET /v1/payments/unmatched. See docs/kafka.md."""
    import os
    import signal
    import threading

    if topic:
        os.environ["CPTY_KAFKA_PAYMENTS_TOPIC"] = topic
    settings = load_settings()
    if not settings.kafka_bootstrap or not settings.kafka_payments_topic:
        console.print("set CPTY_KAFKA_BOOTSTRAP, and CPTY_KAFKA_PAYMENTS_TOPIC or --topic")
        raise typer.Exit(2)
    from services.workers.bank_lines import BankLineConsumer

    container = _container()
    consumer = BankLineConsumer(container.ports)
    try:
        if once:
            lines = consumer.drain()
            container.runner.wait(container.store.head(), container.settings.consistency_timeout)
            console.print(f"{lines} bank lines read from {consumer.topic}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        consumer.start()
        console.print(f"reading bank lines from {consumer.topic}; Ctrl-C stops")
        stop.wait()
    finally:
        consumer.stop()
        container.close()


@app.command(short_help="Load a realistic data set, then serve it")
def demo(
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="address to listen on")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option("--port", metavar="PORT", help="port to listen on  [default: CPTY_PORT, else 8000]")
    ] = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after loading")] = True,
    partners: Annotated[int, typer.Option("--partners", metavar="N", help="how many partners to load")] = 300,
    days: Annotated[
        int, typer.Option("--days", metavar="N", help="how many days of business the demo covers, ending today")
    ] = 365,
) -> None:
    """Load a realistic data set through the commands, advance the manual clock, and serve. The
    demo's settings (manual clock, admin key, port) go to <data dir>/demo.env, which `serve` and
    the other commands read, so `make serve` serves the same data again."""
    import os
    from datetime import UTC, datetime, timedelta

    from services.cli.demo import already_loaded, banner, holds_demo, load_demo, portal_invite
    from services.cli.launch import demo_env_path, write_demo_env

    settings = load_settings(port=port)
    demo_env = demo_env_path(settings)
    if not demo_env.is_file():  # else the settings the demo chose when it loaded these data
        # The demo's year ends about today: its clock starts at midnight (UTC) ``days`` days ago.
        first_day = datetime.now(UTC).date() - timedelta(days=days)
        for name, value in {**DEMO_DEFAULTS, "CPTY_CLOCK_START": f"{first_day.isoformat()}T00:00:00Z"}.items():
            os.environ.setdefault(name, value)
        settings = load_settings(port=port)
    if serve_after:
        check_port(host, settings.port, "demo")
    container = _container(settings)
    # Written before loading, so a load cut short is still served with the demo's clock and key.
    if not demo_env.is_file() and (holds_demo(container) or already_loaded(container) is None):
        write_demo_env(settings, settings.admin_key if settings.admin_key == DEMO_DEFAULTS["CPTY_ADMIN_KEY"] else None)
    with progress_bar() as bar:
        summary = load_demo(container, partners, bar, days)
    base = f"http://{host}:{settings.port}"
    served_again = demo_env if demo_env.is_file() else None
    sys.stdout.write("\n" + banner(summary, base, settings.admin_key, portal_invite(container), served_again))
    sys.stdout.flush()
    if serve_after:
        serve_container(container, host, settings.port)
    else:
        container.close()


@app.command(short_help="Rebuild every read model from the log, or --verify")
def replay(
    verify: Annotated[bool, typer.Option("--verify", help="compare fresh tables with the live ones")] = False,
) -> None:
    """Rebuild every read model from the log (or, with --verify, compare a fresh build with the live one)."""
    from services.cli.replay import rebuild_all, verify_all

    container = _container()
    try:
        with progress_bar() as bar:
            if verify:
                problems = verify_all(container, bar)
            else:
                rebuild_all(container, bar)
                problems = []
    finally:
        container.close()
    for problem in problems:
        console.print(f"[red]difference[/red] {problem}")
    if verify:
        console.print("read models match the log" if not problems else f"{len(problems)} differences")
    raise typer.Exit(1 if problems else 0)


@projections_app.command("status", short_help="Position, lag and status of each read model")
def projections_status() -> None:
    """Each read model, process manager and the Kafka relay: position, lag, status."""
    container = _container()
    table = Table("name", "kind", "version", "position", "lag", "status")
    for p in container.progress():
        version = str(container.catalog.version(p.name)) if p.kind == "read_model" else "-"
        table.add_row(p.name, p.kind, version, str(p.position), str(max(0, p.head - p.position)), p.status)
    Console().print(table)
    container.close()


@projections_app.command("rebuild", cls=PlainUsage, short_help="Rebuild one read model without downtime")
def projections_rebuild(name: Annotated[str, typer.Argument(metavar="NAME", help="the read model's name")]) -> None:
    """Rebuild one read model into new tables while the old ones serve, then switch."""
    container = _container()
    if name not in container.catalog.projections:
        console.print(f"unknown read model {name}; known: {', '.join(container.catalog.projections)}")
        raise typer.Exit(2)
    from aggregates.errors import Conflict

    try:
        lock = container.rebuild_lock(name)
    except Conflict as running:
        console.print(running.detail)
        container.close()
        raise typer.Exit(1) from None
    head = container.store.head()
    try:
        with progress_bar() as bar:
            task = bar.add_task(f"rebuilding {name}", total=head)
            container.runner.rebuild(name, lambda n: bar.advance(task, n))
    finally:
        lock.release()
        container.close()


@keys_app.command("create", short_help="Issue an API key and print it (shown once)")
def keys_create(
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="the key's name")],
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="admin, clerk, analyst or auditor")],
) -> None:
    """Issue an API key and print it (it is shown only once). A name in use must be revoked
    first."""
    from aggregates.api_key import ApiRole
    from commands.api_keys import IssueApiKey, issue_api_key
    from services.api.api_keys import new_secret
    from services.api.deps import hash_key

    try:
        api_role = ApiRole(role)
    except ValueError:
        console.print("role is one of admin, clerk, analyst, auditor")
        raise typer.Exit(2) from None
    secret = new_secret()
    command = _command(lambda: IssueApiKey(name=name, role=api_role, key_hash=hash_key(secret)))
    hint = f" (`counterparty keys revoke {name}`)"
    _run_key_command(issue_api_key, command, {"api_key_exists": hint})
    sys.stdout.write(secret + "\n")


@keys_app.command("list", short_help="The API keys, with their roles")
def keys_list() -> None:
    """The API keys: name, role and whether revoked (never the keys themselves)."""
    from queries.pages import PageRequest
    from queries.settings import SettingsQueries

    container = _container()
    try:
        queries = SettingsQueries(container.catalog)
        table = Table("name", "role", "status")
        request = PageRequest(limit=500)
        while True:
            page = queries.api_keys(request)
            for key in page["items"]:
                table.add_row(key["name"], key["role"], "revoked" if key["revoked"] else "live")
            if not page["next_cursor"]:
                break
            request = PageRequest(limit=request.limit, cursor=page["next_cursor"])
    finally:
        container.close()
    Console().print(table)


@keys_app.command("revoke", cls=PlainUsage, short_help="Revoke an API key")
def keys_revoke(name: Annotated[str, typer.Argument(metavar="NAME", help="the key's name")]) -> None:
    """Revoke an API key: it authenticates no more, and its name can be issued again."""
    from commands.api_keys import RevokeApiKey, revoke_api_key

    _run_key_command(revoke_api_key, RevokeApiKey(name=name))
    say(f"API key {name} revoked")


def _command(build):  # type: ignore[no-untyped-def]
    """The command model, or one line on what is wrong with the input (exit 2)."""
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        say(problems)
        raise typer.Exit(2) from None


def _run_key_command(handler, command, hints: dict[str, str] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Runs an API key command as ``cli`` and waits for the read models; a refusal is one line on
    stderr (with a hint by its code) and exit 1, never a traceback."""
    from aggregates.errors import DomainError
    from services.workers.ports import Request

    container = _container()
    try:
        result = container.execute(handler, command, Request(actor="cli"))
        container.runner.wait(result.position, 30)
    except DomainError as error:
        say(error.detail + (hints or {}).get(error.code, ""))
        raise typer.Exit(1) from None
    finally:
        container.close()


@app.command(short_help="What-if: what the coming days would bring")
def simulate(
    until: Annotated[str, typer.Option("--until", metavar="YYYY-MM-DD", help="the last day to walk")],
    payment: Annotated[
        list[str] | None,
        typer.Option("--payment", metavar="PARTNER:AMOUNT:DATE", help="a hypothetical payment (repeatable)"),
    ] = None,
) -> None:
    """What-if: walk a private copy of the books from today to --until (at most 366 days) with
    the real schemes, templates and recurring invoices, and print what would happen. Nothing is
    recorded, nothing is sent."""
    from datetime import date

    from aggregates.errors import Invalid
    from services.cli.simulate import parse_payment, print_outcome, run

    try:
        last = date.fromisoformat(until)
        payments = [parse_payment(p) for p in payment or []]
    except ValueError as error:
        console.print(f"{error}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    container = _container()
    try:
        with progress_bar() as bar:
            outcome = run(container, last, payments, bar)
        print_outcome(container, outcome, Console())
    except Invalid as error:
        where = ".".join(str(part) for part in error.errors[0]["loc"][1:])
        console.print(f"{where}: {error.detail}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    finally:
        container.close()


@app.command(short_help="Run the benchmarks, or --plot their charts")
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="small sizes, for a smoke run")] = False,
    postgres_url: Annotated[
        str | None, typer.Option("--postgres-url", metavar="URL", help="PostgreSQL to measure on")
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="measure nothing: draw PNG charts of bench-results.json next to it")
    ] = False,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results", metavar="FILE", help="with --plot: a results file to draw (repeat it to combine runs)"
        ),
    ] = None,
) -> None:
    """Run the benchmarks on SQLite and PostgreSQL and print ratios against raw baselines."""
    if results and not plot:
        console.print("--results names the files --plot draws")
        raise typer.Exit(2)
    if plot and (quick or postgres_url):
        console.print("--plot draws the charts of earlier runs and measures nothing: run the bench first")
        raise typer.Exit(2)
    from services.cli.bench import run_benchmarks
    from services.cli.bench.run import results_path

    if not plot:
        run_benchmarks(quick=quick, postgres_url=postgres_url, console=console)
        return
    paths = results or [results_path()]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        console.print(f"no bench results at {', '.join(missing)}: run `counterparty bench` first")
        raise typer.Exit(2)
    try:
        from services.cli.bench.plot import write_charts

        written, skipped = write_charts(paths)
    except ImportError as error:
        console.print(f"--plot needs matplotlib ({error}): pip install 'counterparty[test]'")
        raise typer.Exit(2) from None
    for path in written:
        console.print(f"chart written to {path}")
    if skipped:
        console.print(f"no figures for {', '.join(skipped)} in these results")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
