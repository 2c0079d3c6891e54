"""Searching a whole text table for number texts without running a regular expression over every byte.

The number convention of a file (decimal and thousands marks) is decided from whole-field number texts
such as ``1,5`` or ``1.234.567``. A pattern anchored on field boundaries (a lookbehind for the delimiter)
gives the regular-expression engine no literal to skip to, so a plain ``search`` tries it at every byte:
about 0.1 s per MB and pattern. Every such number holds a mark between two digits (``d,d`` or ``d.d``),
so only the lines holding one can hold a match: :class:`MarkedLines` finds those lines with numpy and
searches them alone, in file order. The first match is the one ``pattern.search(data)`` returns, with
the same positions (the lines are searched in place, ``pos``/``endpos`` within ``data``).
"""

from __future__ import annotations

import re

import numpy as np

_ZERO, _NINE, _NEWLINE = ord("0"), ord("9"), ord("\n")


class MarkedLines:
    """The lines of ``data`` that hold a mark between two digits, found once per mark."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._array = np.frombuffer(data, dtype=np.uint8)
        self._newlines: np.ndarray | None = None
        self._lines: dict[tuple[bytes, bool], tuple[np.ndarray, np.ndarray]] = {}

    def search(self, pattern: re.Pattern, marks: bytes, *, grouped: bool = False) -> re.Match | None:
        """``pattern.search(data)`` for a pattern whose every match lies within one line and holds one of
        ``marks`` between two digits (the caller's promise): only those lines are searched. ``grouped``:
        every match holds two thousands groups (``d.ddd.d``, the same mark twice), a narrower screen."""
        starts, ends = self._spans(marks, grouped)
        for start, end in zip(starts.tolist(), ends.tolist()):
            match = pattern.search(self.data, start, end)
            if match is not None:
                return match
        return None

    def _spans(self, marks: bytes, grouped: bool) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) byte offsets of the lines holding a digit-mark-digit (``grouped``: a
        digit-mark-three digits-same mark-digit), the line end included."""
        key = (marks, grouped)
        if key not in self._lines:
            array = self._array
            inner = array[1:-1]
            hit = np.zeros(inner.shape, dtype=bool)
            for mark in marks:
                hit |= inner == mark
            positions = np.flatnonzero(hit) + 1
            if grouped:
                positions = positions[positions + 5 < len(array)]
                positions = positions[array[positions + 4] == array[positions]]
            offsets = (-1, 1, 2, 3, 5) if grouped else (-1, 1)
            for offset in offsets:
                digits = array[positions + offset]
                positions = positions[(digits >= _ZERO) & (digits <= _NINE)]
            if self._newlines is None:
                self._newlines = np.flatnonzero(array == _NEWLINE)
            newlines = self._newlines
            lines = np.unique(np.searchsorted(newlines, positions))  # line k follows the k-th newline
            if newlines.size:
                starts = np.where(lines > 0, newlines[np.maximum(lines - 1, 0)] + 1, 0)
                ends = np.where(lines < newlines.size, newlines[np.minimum(lines, newlines.size - 1)] + 1, len(array))
            else:
                starts, ends = np.zeros_like(lines), np.full_like(lines, len(array))
            self._lines[key] = (starts, ends)
        return self._lines[key]
