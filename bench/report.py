"""Collected figures: one row per measurement, rendered as a rich table and written as JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Results", "Row", "console", "fmt"]

console = Console(highlight=False, width=None if sys.stdout.isatty() else 220)


@dataclass(slots=True)
class Row:
    """One figure. `value` None means "not measured" and `note` says why."""

    phase: str
    target: str  # e.g. "hub", "medallion", "opentaxii"
    backend: str  # "sqlite", "postgresql", "memory", "-"
    metric: str
    value: float | None
    unit: str
    n: int | None = None  # samples or objects behind the figure
    note: str = ""
    target_value: str = ""  # the target, if any ("≥ 2500", "≤ 25")
    extra: dict[str, Any] = field(default_factory=dict)


def fmt(value: float | None, unit: str = "") -> str:
    """A figure for the terminal: n/a, integers with separators, or 3 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in {"objects/s", "req/s", "objects", "grants", "rows", "bytes", "MB/s"} or (
        abs(value) >= 1000
    ):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


class Results:
    """Every row of one run, plus the facts about the run (versions, CPU count, options)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.versions: dict[str, str] = {}
        self.profiles: dict[str, Any] = {}
        self.options = options
        self.started = datetime.now(UTC)
        self.phase_seconds: dict[str, float] = {}

    def add(self, row: Row) -> Row:
        """Record a row and echo it on the terminal as it is measured."""
        self.rows.append(row)
        n = f" (n={row.n})" if row.n is not None else ""
        note = f"  [dim]{row.note}[/dim]" if row.note else ""
        console.print(
            f"  [cyan]{row.phase}[/cyan] {row.target}/{row.backend} {row.metric}: "
            f"[bold]{fmt(row.value, row.unit)}[/bold] {row.unit}{n}{note}"
        )
        return row

    def note(self, text: str) -> None:
        """A remark printed now and kept in the JSON and under the table."""
        self.notes.append(text)
        console.print(f"  [yellow]note:[/yellow] {text}")

    def table(self) -> Table:
        """All rows as one table, grouped by phase."""
        t = Table(title="Fusion Hub benchmarks", show_lines=False, expand=False)
        for col, kw in (
            ("phase", {}),
            ("target", {}),
            ("backend", {}),
            ("metric", {"overflow": "fold"}),
            ("value", {"justify": "right"}),
            ("unit", {}),
            ("n", {"justify": "right"}),
            ("issue target", {}),
            ("note", {"overflow": "fold", "max_width": 48}),
        ):
            t.add_column(col, **kw)
        last_phase = ""
        for r in self.rows:
            if r.phase != last_phase and last_phase:
                t.add_section()
            last_phase = r.phase
            t.add_row(
                r.phase,
                r.target,
                r.backend,
                r.metric,
                fmt(r.value, r.unit),
                r.unit,
                "" if r.n is None else str(r.n),
                r.target_value,
                r.note,
            )
        return t

    def write(self, directory: Path, *, suffix: str = "") -> Path:
        """Write `<YYYY-MM-DD>-<host><suffix>.json` under `directory`; return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname().split(".")[0] or "host"
        path = directory / f"{self.started:%Y-%m-%d}-{host}{suffix}.json"
        doc = {
            "started": self.started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "host": host,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "options": self.options,
            "versions": self.versions,
            "phase_seconds": self.phase_seconds,
            "notes": self.notes,
            "profiles": self.profiles,
            "rows": [asdict(r) for r in self.rows],
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
        tmp.replace(path)
        return path
