"""The one exception type users see: what went wrong, where, and what was expected."""

from __future__ import annotations

import re
from pathlib import Path


class SecretomeInputError(ValueError):
    """Bad user input: names the file, the column or row, and what was expected.

    The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for this type.
    ``parameters`` names the library parameters the message and ``expected`` mention by name (e.g.
    ``("min_valid",)``): shells re-word them as their own controls (the CLI as ``--min-valid``, see
    :meth:`reworded`), so the library never speaks of command-line flags.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        column: str | None = None,
        row: int | str | None = None,
        expected: str | None = None,
        parameters: tuple[str, ...] = (),
    ) -> None:
        self.file = str(file) if file is not None else None
        self.column = column
        self.row = row
        self.expected = expected
        self.message = message
        self.parameters = tuple(parameters)
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

    def reworded(self, names: dict[str, str]) -> "SecretomeInputError":
        """A copy whose mentioned ``parameters`` are renamed by ``names`` (e.g. ``{"min_valid": "--min-valid"}``)
        wherever they occur as whole words in the message and the expectation."""

        def reword(text: str | None) -> str | None:
            if text is None:
                return None
            for parameter in self.parameters:
                if parameter in names:
                    text = re.sub(rf"(?<![\w-]){re.escape(parameter)}(?![\w-])", names[parameter], text)
            return text

        return SecretomeInputError(
            reword(self.message) or "", file=self.file, column=self.column, row=self.row, expected=reword(self.expected),
            parameters=tuple(names.get(parameter, parameter) for parameter in self.parameters),
        )
