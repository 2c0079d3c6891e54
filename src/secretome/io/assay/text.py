"""Reading instrument exports as text: gzip, byte-order marks and the Windows code pages vendors use."""

from __future__ import annotations

import gzip
from pathlib import Path

from secretome.errors import SecretomeInputError


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it ends in ``.gz``."""
    path = Path(path)
    if not path.is_file():
        raise SecretomeInputError("file not found", file=path, expected="an immunoassay export")
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise SecretomeInputError(f"cannot read the file ({error})", file=path) from None


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    data = read_bytes(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
