"""Tables framed by report lines (Scaffold's Samples Report): settings above the header, a closing line below.

For the writers in ``data/report_frames.tsv``, the lines above the header (found by its first fields within
a few lines) and the footer line after the last row are not table rows: they are dropped before the table is
sniffed and parsed, and their count keeps row numbers equal to the file's lines.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import pandas as pd


class ReportFrame(NamedTuple):
    """A writer's report frame (from ``data/report_frames.tsv``)."""

    writer: str
    header_start: tuple[str, ...]
    footer: str
    max_lines_above: int
    trailer_start: str = ""  # a line starting a block of settings after the table (it and all below are not rows)


@lru_cache(maxsize=1)
def report_frames() -> list[ReportFrame]:
    """The writers of ``data/report_frames.tsv``, in order. Comment lines start with '# ' (a header field
    may be '#')."""
    path = resources.files("secretome.io").joinpath("data/report_frames.tsv")
    with path.open("r", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("# ")]
    header, *rows = [line.rstrip("\r\n").split("\t") for line in lines if line.strip()]
    frame = pd.DataFrame(rows, columns=header)
    return [
        ReportFrame(writer, tuple(start.split("|")), footer, int(most), trailer or "")
        for writer, start, footer, most, trailer in zip(frame["writer"], frame["header_start"], frame["footer"],
                                                       frame["max_lines_above"], frame["trailer_start"])
    ]


def unframe(data: bytes) -> tuple[bytes, int, ReportFrame | None]:
    """``data`` from the header line of a framed report on, without its footer line (or trailing settings); the
    number of lines dropped above the header; the writer (None and ``data`` unchanged when no writer's frame is
    found; its ``trailer_start`` emptied when no trailing settings were cut).
    Only the first lines are looked at (no copy of the data unless a frame is found)."""
    for frame in report_frames():
        start = "\t".join(frame.header_start).encode()
        position = 0
        for above in range(frame.max_lines_above + 1):
            end = data.find(b"\n", position)
            line = (data[position:] if end < 0 else data[position:end]).lstrip(b"\xef\xbb\xbf").rstrip(b"\r")
            line = line.replace(b'"', b"") if line.startswith(b'"') else line  # a quoted header ("protein"\t...)
            if line == start or line.startswith(start + b"\t"):
                body, cut = _without_footer(data[position:] if above else data, frame)
                if above or body is not data:
                    return body, above, frame if cut else frame._replace(trailer_start="")
                break
            if end < 0:
                break
            position = end + 1
    return data, 0, None


def _without_footer(data: bytes, frame: ReportFrame) -> tuple[bytes, bool]:
    """``data`` without a last (non-blank) line equal to the writer's footer, or without the writer's trailing
    block of settings (from its ``trailer_start`` line on, with the blank lines above it); and whether that
    trailing block was there."""
    if frame.trailer_start:
        start = data.rfind(b"\n" + frame.trailer_start.encode())
        if start >= 0:
            end = start + 1
            while end and data[end - 1:end] in b"\r\n\t ":
                end -= 1
            line_end = data.find(b"\n", end)
            return (data[: line_end + 1] if line_end >= 0 else data[:end]), True
    end = len(data)
    while end and data[end - 1:end] in b"\r\n\t ":
        end -= 1
    cut = data.rfind(b"\n", 0, end)
    last = data[cut + 1:end].strip(b"\r\t ").decode("utf-8", errors="replace")
    return (data[: cut + 1] if last == frame.footer else data), False
