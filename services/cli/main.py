"""The ``counterparty`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from services.settings import Settings

app = typer.Typer(help="Counterparty: the event-sourced back office for business partners.", no_args_is_help=True)
projections_app = typer.Typer(help="Read models: status and rebuilds.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)


def _container():  # type: ignore[no-untyped-def]
    from services.adapters.logs import configure
    from services.bootstrap.container import Container

    settings = Settings()
    configure(settings.log_level)
    container = Container(settings)
    container.runner.ensure_reactors()
    return container


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )


def serve_container(container, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from services.api.app import create_app

    container.start()
    try:
        uvicorn.run(create_app(container), host=host, port=port, log_config=None, access_log=False)
    finally:
        container.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run the API; with CPTY_ROLE=all (the default) also the read models, process managers,
    scheduler, sender, mailing preparer and Kafka jobs; with CPTY_ROLE=api the API alone, the
    jobs being left to `counterparty worker`s (PostgreSQL)."""
    settings = Settings()
    if settings.role == "api" and not settings.event_store_url.startswith("postgres"):
        console.print("CPTY_ROLE=api needs PostgreSQL (CPTY_DATABASE_URL): on SQLite one process does everything")
        raise typer.Exit(2)
    serve_container(_container(), host, port)


@app.command()
def worker(
    host: Annotated[str, typer.Option(help="address of /healthz, /readyz and /metrics (with --port)")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port of /healthz, /readyz and /metrics [default: none]")] = None,
) -> None:
    """Run the read models, process managers, scheduler, sender, mailing preparer and Kafka jobs
    without the API. Of several workers on one PostgreSQL database, one leads each job family
    (an advisory lock) and the others stand by to take over."""
    import signal
    import threading

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


@app.command("consume-payments")
def consume_payments(
    topic: Annotated[
        str | None, typer.Option(help="the topic of bank statement lines [default: CPTY_KAFKA_PAYMENTS_TOPIC]")
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
    settings = Settings()
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


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after loading")] = True,
    partners: Annotated[int, typer.Option(help="how many partners to load")] = 300,
    days: Annotated[int, typer.Option(help="how many days of business the demo covers, ending today")] = 365,
) -> None:
    """Load a realistic data set through the commands, advance the manual clock, and serve."""
    import os
    from datetime import UTC, datetime, timedelta

    from services.cli.demo import load_demo, portal_invite

    os.environ.setdefault("CPTY_CLOCK", "manual")
    os.environ.setdefault("CPTY_ADMIN_KEY", "demo-admin-key")
    # The demo's year ends about today: its clock starts at midnight (UTC) ``days`` days ago.
    first_day = datetime.now(UTC).date() - timedelta(days=days)
    os.environ.setdefault("CPTY_CLOCK_START", f"{first_day.isoformat()}T00:00:00Z")
    container = _container()
    with progress_bar() as bar:
        summary = load_demo(container, partners, bar, days)
    base = f"http://{host}:{port}"
    key = container.settings.admin_key
    console.print(f"\n[bold]Counterparty demo loaded[/bold]: {summary}")
    console.print(f"Admin key: [bold]{key}[/bold]")
    console.print(f"API docs:  {base}/docs")
    invite = portal_invite(container)
    if invite is not None:
        code, contact, token = invite
        console.print(f"Portal:    {base}/portal/?token={token}  (customer {code}, contact {contact})", soft_wrap=True)
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/partners?limit=5'")
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/partners?q=gmbh&sort=-created_on'")
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/clock'")
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/audit/events?limit=5'")
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/receivables/aging'")
    console.print(f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/reports/profitability?group_by=product'")
    if serve_after:
        serve_container(container, host, port)
    else:
        container.close()


@app.command()
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


@projections_app.command("status")
def projections_status() -> None:
    """Each read model, process manager and the Kafka relay: position, lag, status."""
    container = _container()
    table = Table("name", "version", "position", "lag", "status")
    for p in container.progress():
        version = str(container.catalog.version(p.name)) if p.name in container.catalog.projections else "-"
        table.add_row(p.name, version, str(p.position), str(max(0, p.head - p.position)), p.status)
    Console().print(table)
    container.close()


@projections_app.command("rebuild")
def projections_rebuild(name: Annotated[str, typer.Argument(help="the read model's name")]) -> None:
    """Rebuild one read model into new tables while the old ones serve, then switch."""
    container = _container()
    if name not in container.catalog.projections:
        console.print(f"unknown read model {name}; known: {', '.join(container.catalog.projections)}")
        raise typer.Exit(2)
    head = container.store.head()
    with progress_bar() as bar:
        task = bar.add_task(f"rebuilding {name}", total=head)
        container.runner.rebuild(name, lambda n: bar.advance(task, n))
    container.close()


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="the key's name")],
    role: Annotated[str, typer.Option(help="admin, clerk, analyst or auditor")],
) -> None:
    """Issue an API key and print it (it is shown only once)."""
    from aggregates.api_key import ApiRole
    from commands.api_keys import IssueApiKey, issue_api_key
    from services.api.api_keys import new_secret
    from services.api.deps import hash_key
    from services.workers.ports import Request

    try:
        api_role = ApiRole(role)
    except ValueError:
        console.print("role is one of admin, clerk, analyst, auditor")
        raise typer.Exit(2) from None
    container = _container()
    secret = new_secret()
    result = container.execute(
        issue_api_key, IssueApiKey(name=name, role=api_role, key_hash=hash_key(secret)), Request(actor="cli")
    )
    container.runner.wait(result.position, 30)
    container.close()
    sys.stdout.write(secret + "\n")


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="small sizes, for a smoke run")] = False,
    postgres_url: Annotated[str | None, typer.Option(help="PostgreSQL to measure on")] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="measure nothing: draw PNG charts of bench-results.json next to it")
    ] = False,
    results: Annotated[
        list[Path] | None,
        typer.Option("--results", help="with --plot: a results file to draw (repeat it to combine runs)"),
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
