"""``counterparty bench --plot``: PNG charts of one or more ``bench-results.json`` files, written
next to the first one: HTTP throughput by clients and backend, rebuild time by log size,
collection time by invoices. Several files (a quick and a full run) give each line more points.

matplotlib is a test extra, not a dependency of the service: it is imported only here."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BACKENDS = {"sqlite": ("SQLite", "tab:blue"), "postgres": ("PostgreSQL", "tab:orange")}
ONE_MILLION = 1_000_000
DPI = 110


def load_results(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in paths]


def run_label(document: dict[str, Any]) -> str:
    """A run as a footnote names it: mode, date, and the 1-minute load average at start and end."""
    machine = document.get("machine", {})
    start = machine.get("load_average_at_start", ["?"])[0]
    end = machine.get("load_average_at_end", ["?"])[0]
    return (
        f"{document.get('mode', '?')} run of {str(document.get('finished_at', '?'))[:10]}, "
        f"{machine.get('cpus', '?')} CPUs, load average {start} → {end}"
    )


def backend_name(backend: str) -> str:
    return BACKENDS.get(backend, (backend, None))[0]


def series_name(backend: str, document: dict[str, Any], documents: list[dict[str, Any]]) -> str:
    """The backend's name, and the run's mode when the files mix quick and full runs."""
    name = backend_name(backend)
    return name if len({d.get("mode") for d in documents}) == 1 else f"{name} ({document.get('mode', '?')})"


def color(backend: str) -> str | None:
    return BACKENDS.get(backend, (backend, None))[1]


def footnote(chart: Any, documents: list[dict[str, Any]]) -> None:
    """The runs behind the chart, under the panels (which the layout keeps clear of it)."""
    lines = [run_label(d) for d in documents]
    chart.text(0.01, 0.01, "\n".join(lines), fontsize=8, color="dimgray", va="bottom")
    height = chart.get_figheight() * DPI
    bottom = (12 * len(lines) + 10) / height
    chart.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))


def annotate(axes: Axes, x: float, y: float, text: str, color: str | None, below: bool = False) -> None:
    """A value beside its point: above it, or below it for every second line (close lines)."""
    offset, align = ((0, -9), "top") if below else ((0, 7), "bottom")
    axes.annotate(
        text, (x, y), textcoords="offset points", xytext=offset, ha="center", va=align, fontsize=8, color=color
    )


def is_served(f: dict[str, Any]) -> bool:
    return "operation" in f.get("extra", {}) and "clients" in f.get("extra", {})


# The one-pass rebuild, and its name in results written before rebuilds read the log once.
REBUILDS = ("rebuild all read models in one pass (log ev/s)", "rebuild all read models (log ev/s)")
ESTIMATE = "rebuild all, 1M-event log (est.)"


def is_rebuild(f: dict[str, Any]) -> bool:
    return f["measurement"] in (*REBUILDS, ESTIMATE)


def is_collection(f: dict[str, Any]) -> bool:
    return f["measurement"].startswith("collection run,") and "invoices" in f.get("extra", {})


def drawn_from(documents: list[dict[str, Any]], wanted: Any) -> list[dict[str, Any]]:
    """The runs that hold figures of a chart (its footnote names only those)."""
    return [d for d in documents if any(wanted(f) for f in d.get("figures", []))]


def throughput_chart(documents: list[dict[str, Any]], path: Path) -> bool:
    """One panel per HTTP operation: operations per second by number of clients, a line per
    backend (and run)."""
    panels: dict[str, dict[tuple[str, str], dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    failed: dict[tuple[str, str, str, int], int] = {}  # (operation, backend, name, clients): failed requests
    units: dict[str, str] = {}
    for document in documents:
        for f in document.get("figures", []):
            extra = f.get("extra", {})
            if is_served(f):
                key = (f["backend"], series_name(f["backend"], document, documents))
                panels[extra["operation"]][key][int(extra["clients"])] = float(f["value"])
                failed[(extra["operation"], *key, int(extra["clients"]))] = int(extra.get("failed") or 0)
                units[extra["operation"]] = f["unit"]
    if not panels:
        return False
    chart = new_chart((11, 8.5))
    grid = chart.subplots(2, (len(panels) + 1) // 2, squeeze=False)
    cells = [axes for row in grid for axes in row]
    for axes, (operation, lines) in zip(cells, panels.items(), strict=False):
        for k, ((backend, name), points) in enumerate(sorted(lines.items())):
            clients = sorted(points)
            rates = [points[n] for n in clients]
            axes.plot(clients, rates, marker="o", label=name, color=color(backend))
            for n, value in zip(clients, rates, strict=True):
                lost = failed.get((operation, backend, name, n))
                text = f"{value:,.0f}" + (f"\n{lost} failed" if lost else "")
                annotate(axes, n, value, text, "red" if lost else color(backend), below=k % 2 == 1)
        every = sorted({n for points in lines.values() for n in points})
        axes.set_xscale("log", base=2)
        axes.set_xticks(every, [str(n) for n in every])
        axes.set_xlim(every[0] / 1.5, every[-1] * 1.5)  # room for the labels of the outer points
        axes.set_ylim(bottom=0, top=axes.get_ylim()[1] * 1.15)
        axes.set_title(operation, fontsize=11)
        axes.set_xlabel("keep-alive clients")
        axes.set_ylabel(units[operation])
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8, loc="best")
    for axes in cells[len(panels) :]:
        axes.set_visible(False)
    finish(chart, "counterparty serve: throughput by clients and backend", drawn_from(documents, is_served), path)
    return True


def rebuild_chart(documents: list[dict[str, Any]], path: Path) -> bool:
    """Minutes to bring every read model from 0 to the head, by log size (log-log), with the
    bench's 1M-event estimate as a dashed extension."""
    measured: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    estimated: dict[str, float] = {}
    for document in documents:
        for f in document.get("figures", []):
            backend = f["backend"]
            if f["measurement"] in REBUILDS and f["count"]:
                measured[(backend, backend_name(backend))][int(f["count"])] = float(f["seconds"]) / 60
            elif f["measurement"] == ESTIMATE:
                estimated[backend] = float(f["value"])
    if not measured:
        return False
    chart = new_chart((9, 6))
    axes = chart.subplots()
    for k, ((backend, name), points) in enumerate(sorted(measured.items())):
        sizes, minutes = measured_line(axes, points, backend, f"{name}, measured", "{:.2g} min", below=k % 2 == 1)
        if backend in estimated and sizes[-1] < ONE_MILLION:
            axes.plot(
                [sizes[-1], ONE_MILLION],
                [minutes[-1], estimated[backend]],
                linestyle="--",
                marker="o",
                markevery=[1],  # the measured end is drawn by the line above
                markerfacecolor="white",
                label=f"{name}, 1M estimated",
                color=color(backend),
            )
            estimate = estimated[backend]
            annotate(axes, ONE_MILLION, estimate, f"{estimate:.3g} min", color(backend), below=k % 2 == 1)
    log_axes(
        axes,
        [*(n for points in measured.values() for n in points), *([ONE_MILLION] if estimated else [])],
        "events in the log",
        "minutes to rebuild every read model",
    )
    finish(chart, "Rebuild time by log size", drawn_from(documents, is_rebuild), path)
    return True


def collection_chart(documents: list[dict[str, Any]], path: Path) -> bool:
    """Seconds (wall and CPU) of one collection run by the number of invoices (log-log)."""
    wall: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    cpu: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for document in documents:
        for f in document.get("figures", []):
            extra = f.get("extra", {})
            if is_collection(f):
                key = (f["backend"], backend_name(f["backend"]))
                wall[key][int(extra["invoices"])] = float(f["value"])
                if "cpu_s" in extra:
                    cpu[key][int(extra["invoices"])] = float(extra["cpu_s"])
    if not wall:
        return False
    chart = new_chart((9, 6))
    axes = chart.subplots()
    for k, ((backend, name), points) in enumerate(sorted(wall.items())):
        measured_line(axes, points, backend, f"{name}, wall", "{:,.3g} s", below=k % 2 == 1)
        if cpu.get((backend, name)):
            own = cpu[(backend, name)]
            axes.plot(
                sorted(own),
                [own[n] for n in sorted(own)],
                linestyle=":",
                marker=".",
                label=f"{name}, CPU seconds of the run",
                color=color(backend),
            )
    log_axes(
        axes,
        [n for points in wall.values() for n in points],
        "overdue invoices (5 per partner)",
        "seconds per collection run",
    )
    finish(chart, "Collection run time by invoices", drawn_from(documents, is_collection), path)
    return True


def measured_line(
    axes: Axes, points: dict[int, float], backend: str, label: str, value_format: str, below: bool
) -> tuple[list[int], list[float]]:
    """The backend's measured points as a line, each with its value beside it; answers the line."""
    xs = sorted(points)
    ys = [points[n] for n in xs]
    axes.plot(xs, ys, marker="o", label=label, color=color(backend))
    for n, value in zip(xs, ys, strict=True):
        annotate(axes, n, value, value_format.format(value), color(backend), below=below)
    return xs, ys


def log_axes(axes: Axes, sizes: list[int], xlabel: str, ylabel: str) -> None:
    """Log scales labelled in plain numbers (the sizes measured on x, 1-2-5 steps on y), their
    names, a grid and the legend."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:,g}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(sorted(set(sizes)), [f"{n:,}" for n in sorted(set(sizes))])
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=9)


def finish(chart: Any, title: str, documents: list[dict[str, Any]], path: Path) -> None:
    """The title, the footnote of the runs drawn from, and the file."""
    chart.suptitle(title, fontsize=13)
    footnote(chart, documents)
    save(chart, path)


def new_chart(size: tuple[float, float]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def save(chart: Any, path: Path) -> None:
    chart.savefig(path, dpi=DPI)


CHARTS = {
    "bench-throughput.png": throughput_chart,
    "bench-rebuild.png": rebuild_chart,
    "bench-collection.png": collection_chart,
}


def write_charts(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The charts that the results hold figures for, next to the first file; and the names of
    those they hold none for."""
    documents = load_results(paths)
    written, skipped = [], []
    for name, draw in CHARTS.items():
        target = paths[0].parent / name
        if draw(documents, target):
            written.append(target)
        else:
            skipped.append(name)
    return written, skipped
