"""The results file of a study: a CSV table, one row per fit, appended as fits finish."""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Columns before the metrics, and after them, in every results table.
KEY_COLUMNS = ("method", "params", "seed")
INFO_COLUMNS = (
    "reconstruction_error",
    "fit_time",
    "n_steps",
    "device",
    "sklvae_version",
    "torch_version",
    "sklearn_version",
)
_INT_COLUMNS = {"seed", "n_steps"}
_STR_COLUMNS = {
    "method",
    "params",
    "device",
    "sklvae_version",
    "torch_version",
    "sklearn_version",
    "model_file",
}


def _parse_value(column: str, text: str) -> Any:
    if column in _STR_COLUMNS:
        return text
    if column in _INT_COLUMNS:
        return int(text)
    return float(text) if text != "" else math.nan


def canonical(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as it reads back from the CSV file (floats round-trip exactly)."""
    return {k: _parse_value(k, str(v)) for k, v in row.items()}


def read_results(path: Path) -> tuple[list[str] | None, list[dict]]:
    if not path.exists() or path.stat().st_size == 0:
        return None, []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        missing = [c for c in KEY_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path} is not a study results file: no column(s) {missing}.")
        rows = [
            {k: _parse_value(k, v) for k, v in r.items()}
            for r in reader
            if None not in r and all(v is not None for v in r.values())
        ]
    return header, rows


class ResultsWriter:
    """Appends rows to the CSV file, one flushed line per finished fit."""

    def __init__(self, path: Path | None, header: list[str] | None):
        self.path, self.header = path, header

    def write(self, row: dict) -> None:
        if self.path is None:
            return
        columns = list(row)
        if self.header is None:
            self.header = columns
            with self.path.open("w", newline="") as handle:
                csv.writer(handle).writerow(columns)
        elif columns != self.header:
            raise ValueError(
                f"{self.path} has columns {self.header} but this study writes {columns}: "
                "use a new results_file for different metrics or options."
            )
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([row[c] for c in columns])
            handle.flush()
            os.fsync(handle.fileno())


class Progress:
    """One text progress bar over the fits, on stderr."""

    def __init__(self, total: int, done: int, enabled: bool, width: int = 30):
        self.total, self.done, self.enabled, self.width = total, done, enabled, width
        self.start = time.perf_counter()
        if enabled and done:
            print(f"study: {done} of {total} fits already in the results file", file=sys.stderr)
        self._draw("")

    def _draw(self, label: str) -> None:
        if not self.enabled:
            return
        filled = int(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        print(
            f"\rstudy [{bar}] {self.done}/{self.total} fits {elapsed:7.1f}s {label}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def update(self, row: dict) -> None:
        self.done += 1
        self._draw(f"{row['method']} seed={row['seed']}".ljust(40))

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)
