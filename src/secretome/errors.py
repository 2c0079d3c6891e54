"""The one exception type users see: what went wrong, where, and what was expected."""

from __future__ import annotations

from pathlib import Path


class SecretomeInputError(ValueError):
    """Bad user input: names the file, the column or row, and what was expected.

    The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for this type.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        column: str | None = None,
        row: int | str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.column = column
        self.row = row
        self.expected = expected
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.expected:
            text = f"{text} (expected: {self.expected})"
        return text
