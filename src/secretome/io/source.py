"""Bounded reading of inputs: what a file may cost is checked before it is paid.

Every reader gets its bytes through here (:func:`read_input`, :func:`decompress`, :func:`check_zip`,
:func:`read_stream`), so that

- only regular files are read: a FIFO, a device such as ``/dev/zero``, a socket or a directory is
  refused at once, naming the path;
- the first KiB (after decompression) are sniffed first: a binary file, such as a 2 GB sparse file of
  zero bytes, is refused before the rest is read;
- decompression stops at a limit, a multiple of the compressed size with a floor and a hard cap
  (``config/limits.toml``, overridable by environment variables), so a gzip, xz or zip bomb is
  refused within seconds and a few hundred MB;
- an input too large for the memory available is refused before it is loaded, with the size it would
  need;
- OS errors (permission, symlink loop, I/O error) become one-line input errors naming the path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import os
import stat
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from secretome.config import config as shipped_config
from secretome.errors import SecretomeInputError, from_os_error

_MIB = 1 << 20
_CHUNK = 1 << 20
_MAGIC = (b"\x1f\x8b", b"\xfd7zXZ\x00", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe", b"\xfe\xff")
"""Starts of inputs that are legitimately binary: gzip, xz, zip/xlsx, legacy .xls, UTF-16 text."""


@dataclass(frozen=True)
class Limits:
    """What an input may cost (see ``config/limits.toml`` for the reasons behind the defaults)."""

    ratio: float
    floor: int
    cap: int
    memory_factor: float
    sniff: int

    def decompressed(self, compressed_size: int) -> int:
        """Most bytes an input of ``compressed_size`` bytes may decompress to."""
        return int(min(max(self.ratio * compressed_size, self.floor), self.cap))


def limits() -> Limits:
    """The limits of ``config/limits.toml``, each overridden by its environment variable if set."""
    config = shipped_config("limits")

    def value(section: str, key: str, variable: str) -> float:
        text = os.environ.get(variable)
        if text is None:
            return float(config[section][key])
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not number > 0 or number == float("inf"):
            raise SecretomeInputError(f"{variable}={text!r} is not a positive number", expected="e.g. 30")
        return number

    return Limits(
        ratio=value("decompression", "ratio", "SECRETOME_MAX_DECOMPRESSED_RATIO"),
        floor=int(value("decompression", "floor_mib", "SECRETOME_MAX_DECOMPRESSED_FLOOR_MIB") * _MIB),
        cap=int(value("decompression", "cap_mib", "SECRETOME_MAX_DECOMPRESSED_CAP_MIB") * _MIB),
        memory_factor=value("memory", "memory_factor", "SECRETOME_MEMORY_FACTOR"),
        sniff=int(config["sniff"]["sniff_kib"]) * 1024,
    )


def available_memory() -> int | None:
    """Bytes of memory this process may still use: MemAvailable, or the cgroup's free limit when lower;
    None where neither is known."""
    candidates = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit_text = Path(limit_file).read_text().strip()
            if limit_text != "max" and int(limit_text) < 1 << 60:
                candidates.append(int(limit_text) - int(Path(usage_file).read_text().strip()))
                break
        except (OSError, ValueError):
            continue
    return max(min(candidates), 0) if candidates else None


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def check_memory(n_bytes: int, path: str | Path, what: str = "reading it") -> None:
    """Refuse an input whose reading would need more memory than is available (estimated as
    ``memory_factor`` x its ``n_bytes`` of table text)."""
    need = n_bytes * limits().memory_factor
    available = available_memory()
    if available is not None and need > available:
        raise SecretomeInputError(
            f"the input is too large for this machine: {what} needs about {_size(need)} of memory, "
            f"{_size(available)} are available", file=path,
            expected="a smaller table, or a machine with more memory",
        )


def looks_binary(head: bytes) -> bool:
    """True when the first bytes of a text table are binary: a NUL byte or many control characters."""
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, CONTROL_BYTES))  # one pass, not one count per code
    return control > max(8, len(head) // 100)


#: Control characters counted as binary content: all but tab, LF, CR and ESC (NUL is checked on its own).
CONTROL_BYTES = bytes((*range(1, 9), 11, 12, *range(14, 27), *range(28, 32)))


def _refuse_binary(head: bytes, path: str | Path, where: str = "") -> None:
    if not head.startswith(_MAGIC) and looks_binary(head):
        raise SecretomeInputError(
            f"the file is binary{where}, not a text table", file=path,
            expected="a CSV/TSV/XLSX table (optionally .gz/.xz/.zip)",
        )


def raise_csv_field_limit() -> None:
    """Let ``csv`` read fields of any length a file holds (its default, 128 KiB, is below what a
    protein-group cell listing thousands of peptides or a long description reaches)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _special_kind(mode: int) -> str | None:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_regular_file(path: str | Path) -> os.stat_result:
    """``os.stat`` of an input after refusing a missing path, a dangling symlink, a symlink loop, a
    directory, a FIFO, a device or a socket with one line naming it."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise SecretomeInputError("the path is a symbolic link to nothing (dangling)", file=path) from None
        raise SecretomeInputError("file not found", file=path) from None
    except OSError as error:
        raise from_os_error(error, path) from None
    kind = _special_kind(info.st_mode)
    if kind is not None:
        raise SecretomeInputError(
            f"the path is {kind}, not a table file", file=path,
            expected="a regular file (save a stream to a file first)",
        )
    return info


def read_input(path: str | Path) -> bytes:
    """The bytes of the input file ``path``, after :func:`check_regular_file`, an early binary sniff
    and a memory check (see the module docstring)."""
    raise_csv_field_limit()
    info = check_regular_file(path)
    bounds = limits()
    try:
        with open(path, "rb") as handle:
            head = handle.read(bounds.sniff)
            _refuse_binary(head, path)
            if not head.startswith(_MAGIC):
                check_memory(info.st_size, path)
            handle.seek(0)
            return handle.read()  # one bytes object: no second copy of a large file
    except OSError as error:
        raise from_os_error(error, path) from None


def read_stream(stream: BinaryIO, label: str | Path = "<stdin>") -> bytes:
    """All bytes of ``stream`` (stdin), refused beyond the decompression cap and sniffed for binary."""
    bounds = limits()
    chunks, total = [], 0
    try:
        while chunk := stream.read(_CHUNK):
            if total == 0:
                _refuse_binary(chunk[: bounds.sniff], label)
            chunks.append(chunk)
            total += len(chunk)
            if total > bounds.cap:
                raise SecretomeInputError(
                    f"the input stream is larger than the limit of {_size(bounds.cap)}", file=label,
                    expected="a file instead of a stream, or SECRETOME_MAX_DECOMPRESSED_CAP_MIB raised",
                )
    except OSError as error:
        raise from_os_error(error, label) from None
    return b"".join(chunks)


def decompress(data: bytes, name: str, *, path: str | Path, compressed_size: int | None = None) -> bytes:
    """Undo one ``gzip`` (all members) or ``xz`` (all streams) layer of ``data``, bounded.

    The input is fed in chunks; once the output passes the floor it may be at most ``ratio`` x the
    compressed bytes consumed so far (scaled to ``compressed_size``, the file's size, for a nested
    layer) and never more than the cap, so a bomb, which expands hundreds of times, is refused after
    the floor's worth of output. The first output is sniffed for binary content. A damaged stream
    raises what ``gzip.decompress``/``lzma.decompress`` raise (``EOFError``, ``zlib.error``,
    ``lzma.LZMAError``); a bomb, or binary inside, a :class:`SecretomeInputError`.
    """
    bounds = limits()
    scale = 1.0 if not compressed_size or not data else compressed_size / len(data)
    view = memoryview(data)
    output = bytearray()
    position, sniffed, checked = 0, False, 0

    def fresh() -> "zlib._Decompress | lzma.LZMADecompressor":
        return zlib.decompressobj(wbits=31) if name == "gzip" else lzma.LZMADecompressor()

    engine = fresh()
    while True:
        hungry = not engine.unconsumed_tail if name == "gzip" else engine.needs_input
        if hungry:
            if position >= len(view):
                if name == "gzip":
                    output += engine.flush()  # what zlib still holds when the input is used up
                if not engine.eof:
                    raise EOFError("compressed file ended before the end-of-stream marker was reached")
            feed = view[position: position + _CHUNK]
            position += len(feed)
        else:
            feed = engine.unconsumed_tail if name == "gzip" else b""
        if not engine.eof:
            limit = int(min(max(bounds.ratio * position * scale, bounds.floor), bounds.cap))
            step = bounds.sniff if not sniffed else 4 * _MIB  # small steps: the sniff comes first, no big copies
            output += engine.decompress(feed, max(min(limit + 1 - len(output), step), 1))
            if len(output) > limit:
                raise _too_large(limit, int(position * scale), path, name)
        if not sniffed and (len(output) >= bounds.sniff or engine.eof):
            _refuse_binary(bytes(output[: bounds.sniff]), path, f" inside the {name} stream")
            sniffed = True
        if len(output) - checked > 64 * _MIB:
            check_memory(len(output), path, "decompressing it")
            checked = len(output)
        if engine.eof:
            position -= len(engine.unused_data)  # (zlib also leaves it in unconsumed_tail: not counted twice)
            while name == "gzip" and position < len(view) and view[position] == 0:
                position += 1  # gzip allows zero padding after a member
            if position >= len(view):
                return bytes(output)
            engine = fresh()


def _too_large(limit: int, compressed: int, path: str | Path, name: str) -> SecretomeInputError:
    return SecretomeInputError(
        f"the {name} content expands beyond {_size(limit)} from {_size(compressed)}: refused as a possible "
        "decompression bomb", file=path,
        expected="a real table; for an unusually compressible one raise SECRETOME_MAX_DECOMPRESSED_RATIO",
    )


def check_zip(archive: zipfile.ZipFile, path: str | Path, compressed_size: int) -> None:
    """Refuse a zip archive (or ``.xlsx`` workbook) whose members declare more content than the limit
    for ``compressed_size``; ``zipfile`` never reads past a member's declared size."""
    limit = limits().decompressed(compressed_size)
    total = sum(info.file_size for info in archive.infolist())
    if total > limit:
        raise _too_large(limit, compressed_size, path, "zip")
    check_memory(total, path, "reading its content")


class DecompressedStream(io.RawIOBase):
    """The content of a gzip (all members) or xz (all streams) file as a stream, bounded as
    :func:`decompress` bounds it: once the output passes the floor it may be at most ``ratio`` x the
    compressed bytes read so far and never more than the cap. Unlike :func:`decompress` it never holds
    more than one read's worth of output, so a chunked parse (:mod:`secretome.io.streamed`) of a large
    compressed table costs the parse's chunk, not the table's text. ``sha256`` is the digest of the
    compressed bytes read (the file's digest once the stream is read to its end). A damaged stream
    raises what :func:`decompress` raises; a bomb the same :class:`SecretomeInputError`."""

    def __init__(self, handle: BinaryIO, name: str, path: str | Path) -> None:
        self.handle, self.name, self.path = handle, name, path
        self.bounds = limits()
        self.sha256 = hashlib.sha256()
        self.consumed = self.produced = 0
        self.engine = self._fresh()
        self.pending = b""  # compressed bytes read but not yet given to the engine
        self.ready = b""  # decompressed bytes not yet returned

    def _fresh(self) -> "zlib._Decompress | lzma.LZMADecompressor":
        return zlib.decompressobj(wbits=31) if self.name == "gzip" else lzma.LZMADecompressor()

    def readable(self) -> bool:
        return True

    def _read(self) -> bytes:
        """The next block of the compressed file (b"" at its end), hashed and counted."""
        data = self.handle.read(_CHUNK)
        self.sha256.update(data)
        self.consumed += len(data)
        return data

    def _take(self) -> bytes:
        """Compressed input for the engine: what a finished member left over, else the next block."""
        data, self.pending = (self.pending, b"") if self.pending else (self._read(), b"")
        return data

    def _more(self, size: int) -> bool:
        """Decompress the next (at most ``size``) bytes into ``ready``; False after the last member."""
        if self.engine.eof:
            rest = self.engine.unused_data
            while True:
                if self.name == "gzip":
                    rest = rest.lstrip(b"\0")  # gzip allows zero padding after a member
                if rest:
                    break
                rest = self._read()
                if not rest:
                    return False
            self.pending, self.engine = rest, self._fresh()
        if self.name == "gzip":
            feed = self.engine.unconsumed_tail or self._take()
        else:
            feed = self._take() if self.engine.needs_input else b""
        if not feed and (self.name == "gzip" or self.engine.needs_input):
            output = self.engine.flush() if self.name == "gzip" else b""  # what zlib still holds
            if not output:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
        else:
            output = self.engine.decompress(feed, size)
        self.produced += len(output)
        limit = int(min(max(self.bounds.ratio * self.consumed, self.bounds.floor), self.bounds.cap))
        if self.produced > limit:
            raise _too_large(limit, self.consumed, self.path, self.name)
        self.ready = output
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.ready:
            if not self._more(len(buffer)):
                return 0
        n = min(len(buffer), len(self.ready))
        buffer[:n] = self.ready[:n]
        self.ready = self.ready[n:]
        return n
