"""How every text report leaves the CLI: JSON, CSV or a table, to the terminal or a file.

One switch for all of them (`emit`): each report says how it reads in each form, and the
terminal, the file, the BOM that lets Excel show the marks and the "nothing to show" line
are handled here once."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from rich.console import Console
from rich.table import Table

from followup.cli.common import out


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def emit(
    fmt: Format,
    output: Path | None,
    *,
    as_json: Callable[[], object],
    as_csv: Callable[[], str],
    as_table: Callable[[], Table],
    empty: str | None = None,
    note: str = "",
) -> None:
    """Write a report in `fmt` (json, csv or table) to `output` or the terminal. On the
    terminal a table is replaced by `empty` when given (there are no rows) and followed by
    `note`; a file gets the table as text."""
    if fmt is Format.json:
        payload = as_json()
        text = payload if isinstance(payload, str) else json_text(payload)
    elif fmt is Format.csv:
        text = as_csv()
    else:
        table = as_table()
        if output is None:
            out.print(table if empty is None else empty, highlight=False)
            if note:
                out.print(note, highlight=False)
            return
        text = rendered(table)
    write_text(text, fmt, output)


def table_of(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right: Callable[[str], bool] = lambda _column: False,
) -> Table:
    """A terminal table: its title, its columns (right-aligned where `right` says), its rows."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if right(column) else "left")
    for row in rows:
        table.add_row(*row)
    return table


def json_text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def rendered(table: Table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=160).print(table)
    return buffer.getvalue()


def write_text(text: str, fmt: Format, output: Path | None) -> None:
    """A report to standard output, or to a file (CSV with a BOM, so Excel shows the marks)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8-sig" if fmt is Format.csv else "utf-8")
        out.print(f"Đã ghi {output}", highlight=False)
