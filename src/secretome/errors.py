"""The one exception type users see: what went wrong, where, and what was expected."""

from __future__ import annotations

import errno
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


    def reworded(self, names: dict[str, str]) -> SecretomeInputError:
        """A copy (of the same type) whose mentioned ``parameters`` are renamed by ``names`` (e.g.
        ``{"min_valid": "--min-valid"}``) wherever they occur as whole words in the message and the expectation.
        Where a text mentions a parameter as an assignment (``decimal=','``), only those mentions are renamed:
        the parameter's other occurrences are then prose ("the decimal mark"), not the parameter."""

        def word(parameter: str) -> str:
            return rf"(?<![\w-]){re.escape(parameter)}(?![\w-])"

        both = f"{self.message}\n{self.expected or ''}"
        assigned = {parameter for parameter in self.parameters if re.search(rf"{word(parameter)}=", both)}

        def reword(text: str | None) -> str | None:
            if text is None:
                return None
            for parameter in self.parameters:
                if parameter in names:
                    pattern = rf"{word(parameter)}(?==)" if parameter in assigned else word(parameter)
                    text = re.sub(pattern, names[parameter], text)
            return text

        return type(self)(
            reword(self.message) or "", file=self.file, column=self.column, row=self.row, expected=reword(self.expected),
            parameters=tuple(names.get(parameter, parameter) for parameter in self.parameters),
        )


class SecretomeOutputError(SecretomeInputError):
    """An output cannot be written where asked (no space, permission, a file in the way, ...).

    A subclass of :class:`SecretomeInputError` so every caller that reports input errors as one line
    reports output errors the same way; the message says "output" and names the path.
    """


_OS_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or directory",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "it already exists",
    errno.ENOTEMPTY: "the directory is not empty",
    errno.EXDEV: "it is on another file system",
    errno.EBUSY: "it is busy (a mount point or in use)",
    errno.ETXTBSY: "it is busy (in use)",
    errno.EMFILE: "too many open files",
    errno.ENXIO: "it is a special file with nothing behind it",
    errno.EIO: "input/output error (a failing disk or a lost network share?)",
    errno.EFBIG: "the file would be too large for the file system",
}


def from_os_error(
    error: OSError, path: str | Path | None = None, *, output: bool | None = False
) -> SecretomeInputError:
    """The one-line project error for an OS error: what failed (reading an input or writing an
    output), the path (the error's own, else ``path``) and the reason in plain words.

    Used by every shell (CLI, jobs, the web app) so a full disk, a permission problem or a symlink
    loop reads the same everywhere and never shows a traceback.
    """
    where = error.filename if error.filename is not None else path
    reason = _OS_REASONS.get(error.errno or -1) or (error.strerror or str(error) or type(error).__name__)
    if error.filename2 is not None:
        reason = f"{reason} (also involved: {error.filename2})"
    if output:
        return SecretomeOutputError(f"cannot write the output: {reason}", file=where)
    if output is None:
        return SecretomeInputError(f"cannot read or write this file: {reason}", file=where)
    return SecretomeInputError(f"cannot read the input: {reason}", file=where)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks, other control characters and bidirectional
    overrides (which could hide or reorder what a message says on a terminal) become ``\\n``,
    ``\\t`` or ``\\uXXXX`` escapes. Messages quote cells from input files, so this is applied to
    everything the shells print as an error or warning."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\u{ord(char):04x}")

    return _UNPRINTABLE.sub(escape, text)
