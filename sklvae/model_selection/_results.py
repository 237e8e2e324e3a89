"""The results file of a study: a CSV table, one row per fit, appended as fits finish."""

from __future__ import annotations

import csv
import io
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from ._locks import FileLock

#: Columns before the metrics, and after them, in every results table.
KEY_COLUMNS = ("method", "params", "seed")
INFO_COLUMNS = (
    "reconstruction_error",
    "fit_time",
    "n_steps",
    "resumed_from_step",
    "device",
    "sklvae_version",
    "torch_version",
    "sklearn_version",
)
_INT_COLUMNS = {"seed", "n_steps", "resumed_from_step"}
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


class ResultsFile:
    """The CSV file of a study, read and appended under an OS lock, rewritten atomically.

    Each append reads the file, keeps its whole rows, adds the new one and replaces the
    file in one atomic rename (:func:`sklvae._atomic.atomic_path`), all while holding
    the lock file ``<results_file>.lock``: rows of two processes never interleave, and
    a crash leaves the previous complete file. A line without its end (a file cut
    mid-row by a crash under an older writer, or by a full disk) or with the wrong
    number of fields is not a row: it is skipped when reading and dropped at the next
    append, never merged with the next row.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def _load(self) -> tuple[list[str] | None, list[str], list[dict]]:
        """Header, the raw text of each whole row and the rows parsed."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None, [], []
        text = self.path.read_text(encoding="utf-8")
        lines = text[: text.rfind("\n") + 1].splitlines()  # a last line without its end is cut
        if not lines:
            return None, [], []
        header = next(csv.reader([lines[0]]))
        missing = [c for c in KEY_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{self.path} is not a study results file: no column(s) {missing}.")
        raw, rows = [], []
        for line in lines[1:]:
            fields = next(csv.reader([line]), [])
            if len(fields) != len(header):
                continue
            try:
                rows.append({k: _parse_value(k, v) for k, v in zip(header, fields)})
            except ValueError:  # a number cut short
                continue
            raw.append(line)
        return header, raw, rows

    def read(self) -> tuple[list[str] | None, list[dict]]:
        """The header and the whole rows (none for a missing or empty file)."""
        with FileLock(self.lock_path):  # one per use: threads of this process too
            header, _, rows = self._load()
        return header, rows

    def append(self, row: dict) -> None:
        """Add one row; raises if the file's columns differ from the row's."""
        columns = list(row)
        with FileLock(self.lock_path):  # one per use: threads of this process too
            header, raw, _ = self._load()
            if header is not None and columns != header:
                raise ValueError(
                    f"{self.path} has columns {header} but this study writes {columns}: "
                    "use a new results_file for different metrics or options."
                )
            lines = [_csv_line(columns), *raw, _csv_line([row[c] for c in columns])]
            atomic_write_text(self.path, "".join(line.rstrip("\r\n") + "\n" for line in lines))


def read_results(path: str | os.PathLike) -> tuple[list[str] | None, list[dict]]:
    """The header and whole rows of a results file, read without its lock (for plots)."""
    header, _, rows = ResultsFile(Path(path))._load()
    return header, rows


def _csv_line(values: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


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

    def note(self, text: str) -> None:
        """A line of text below the bar."""
        if self.enabled:
            print(f"\nstudy: {text}", file=sys.stderr, flush=True)

    def update(self, row: dict) -> None:
        self.done += 1
        self._draw(f"{row['method']} seed={row['seed']}".ljust(40))

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)
