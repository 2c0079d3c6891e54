"""Rows whose last column is a list continued over trailing fields (Triqler's ``peptides``): joined back.

Triqler writes a protein's peptides as one tab-separated field each after its other columns, so its rows are
longer than the header by a number of fields that varies from row to row; pandas and the delimiter sniffer
then see a mixed delimiter. For the writers listed in ``data/trailing_lists.tsv`` (matched by header
columns, the list column last, their delimiter), each row's fields from the list column on are joined into
that column. Rows that reach the list column keep every field before it unchanged; rows that do not are left
as they are, so the short-row rules (:func:`secretome.io.table._check_padding`) still refuse a row lacking a
quantity.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import pandas as pd

_DELIMITERS = {"tab": "\t", "comma": ",", "semicolon": ";"}
#: What separates the joined items: the project's list separator inside a cell.
JOIN = ";"


class ListColumn(NamedTuple):
    """A writer's trailing list column (from ``data/trailing_lists.tsv``)."""

    writer: str
    all_of: frozenset[str]
    column: str
    delimiter: str


@lru_cache(maxsize=1)
def list_columns() -> list[ListColumn]:
    """The writers of ``data/trailing_lists.tsv``, in order."""
    path = resources.files("secretome.io").joinpath("data/trailing_lists.tsv")
    with path.open("r", encoding="utf-8") as handle:
        rows = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    return [
        ListColumn(writer, frozenset(p for p in all_of.split("|") if p), column, _DELIMITERS[delimiter])
        for writer, all_of, column, delimiter in zip(rows["writer"], rows["all_of"], rows["list_column"], rows["delimiter"])
    ]


def match(header_line: str) -> ListColumn | None:
    """The writer whose trailing list column ends this header line, if any."""
    for entry in list_columns():
        fields = [field.strip() for field in header_line.rstrip("\r\n").split(entry.delimiter)]
        if fields and fields[-1] == entry.column and entry.all_of <= set(fields):
            return entry
    return None


def join_trailing(data: bytes, entry: ListColumn) -> tuple[bytes, int]:
    """``data`` with every row's fields from the list column on joined by :data:`JOIN`, and the number of
    rows that had more fields than the header."""
    delimiter = entry.delimiter.encode()
    lines = data.split(b"\n")
    width = lines[0].rstrip(b"\r").count(delimiter) + 1
    joined = 0
    for index in range(1, len(lines)):
        line = lines[index]
        if line.count(delimiter) < width:
            continue  # at most the header's fields: nothing continues past the list column
        end = b"\r" if line.endswith(b"\r") else b""
        fields = (line[:-1] if end else line).split(delimiter, width - 1)
        fields[-1] = fields[-1].replace(delimiter, JOIN.encode())
        lines[index] = delimiter.join(fields) + end
        joined += 1
    return b"\n".join(lines), joined
