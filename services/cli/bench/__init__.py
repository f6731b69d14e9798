"""``counterparty bench``: throughput figures on SQLite and PostgreSQL, each against a baseline
measured in the same run on the same machine, so that the ratios (not the absolute numbers) are
what the performance budget in DESIGN.md is checked against.

One module per group:

- ``commands`` (a): partner commands through the command layer (``Container.execute``) and through
  HTTP (the FastAPI app in process, read-your-writes wait included), against the library's bare
  ``save`` of one small aggregate per transaction and against the raw driver (``sqlite3`` /
  ``psycopg`` INSERTs of stored-event-shaped rows, one transaction per row; ``baselines``).
- ``projections`` (b): projection catch-up from zero of a partner-heavy log, against reading and
  decoding the same log (``select_notifications`` pages of 1,000 + ``to_domain_event``).
- ``invoices`` (c): ``draft_document`` and ``issue_document``, then ``receive_payment``
  (oldest-first, one invoice each), in interleaved rounds with the raw driver and the bare save.
- ``queries`` (d): query latency (median of 20 runs) over read models of many invoice lines, built
  fast (``data``: aggregates constructed in memory, ``store.save`` in batches, then
  ``Runner.catch_up`` of the read models the queries use).
- ``collection`` (e): a collection run (``run_collection``) at two sizes built the same way.
- ``campaigns`` (f): campaign target selection over 100,000 partners with 300,000 contacts and
  their sales facts, the read-model rows written directly in bulk.
- ``mailings`` (g): mailing preparation over 100,000 partners with 300,000 contacts.
- ``confirmations`` (l): a balance-confirmation series by e-mail to 20,000 partners with an open
  invoice each, against the raw driver writing the series' rows in as many transactions, and the
  same request again (which must add nothing).
- ``requests`` (h): the requests process manager's service-level check over 50,000 open requests.
- ``http`` (i): a real ``counterparty serve`` subprocess driven by 1, 8 and 32 keep-alive clients
  (``load``), against the raw driver's one-row transactions measured in the same group.
- ``relay`` (j): the Kafka relay publishing a backlog (against the same publisher sending the same
  messages built beforehand), and its lag during and after a burst of events written while it runs
  (``CPTY_BENCH_KAFKA``, else a Tansu broker on loopback).
- ``as_of`` (k): a partner's balance and open items as of a past business date and a past moment,
  over one partner with 1,000 invoices, against the raw driver summing the same movements, and
  the account replay that the dated movements avoid.

``CPTY_BENCH_GROUPS=invoices,collection`` runs only those groups (``run``). Every group gets a
fresh store (``targets``): a new SQLite directory, or an emptied schema of a scratch PostgreSQL
database ``cpty_bench_<random>`` that is dropped at the end. ``plot`` draws the charts of a
``bench-results.json``.
"""

from services.cli.bench.run import run_benchmarks

__all__ = ["run_benchmarks"]
