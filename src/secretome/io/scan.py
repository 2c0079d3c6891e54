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


#: Bytes screened at a time: a search whose match is in the first lines stops without screening the rest.
_CHUNK = 1 << 18


class MarkedLines:
    """Searches of ``data`` restricted to the lines holding a mark between two digits."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._array = np.frombuffer(data, dtype=np.uint8)

    def search(self, pattern: re.Pattern, marks: bytes, *, grouped: bool = False) -> re.Match | None:
        """``pattern.search(data)`` for a pattern whose every match lies within one line and holds one of
        ``marks`` between two digits (the caller's promise): only those lines are searched, in file order,
        a chunk of lines at a time. ``grouped``: every match holds two thousands groups (``d.ddd.d``, the
        same mark twice), a narrower screen."""
        data, low = self.data, 0
        while low < len(data):
            high = data.find(b"\n", min(low + _CHUNK, len(data) - 1))
            high = len(data) if high == -1 else high + 1  # whole lines only
            for start, end in self._spans(marks, grouped, low, high):
                match = pattern.search(data, start, end)
                if match is not None:
                    return match
            low = high
        return None

    def _spans(self, marks: bytes, grouped: bool, low: int, high: int) -> list[tuple[int, int]]:
        """(start, end) byte offsets of the lines of ``data[low:high]`` (whole lines) holding a
        digit-mark-digit (``grouped``: digit-mark-three digits-same mark-digit), line ends included."""
        array = self._array[low:high]
        hit = np.zeros(max(array.size - 2, 0), dtype=bool)
        for mark in marks:
            hit |= array[1:-1] == mark
        positions = np.flatnonzero(hit) + 1
        if grouped:
            positions = positions[positions + 5 < array.size]
            positions = positions[array[positions + 4] == array[positions]]
        for offset in ((-1, 1, 2, 3, 5) if grouped else (-1, 1)):
            digits = array[positions + offset]
            positions = positions[(digits >= _ZERO) & (digits <= _NINE)]
        if positions.size == 0:
            return []
        newlines = np.flatnonzero(array == _NEWLINE)
        lines = np.searchsorted(newlines, positions)  # line k follows the k-th newline; sorted
        lines = lines[np.concatenate(([True], lines[1:] != lines[:-1]))]
        bounds = np.concatenate(([0], newlines + 1, [array.size]))
        return [(low + int(bounds[k]), low + int(bounds[k + 1])) for k in lines.tolist()]
