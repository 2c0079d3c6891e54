"""plotly.js for every page the engine writes: the pinned plotly package's bundle, carried once per page,
gzip-compressed and base64-encoded, unpacked by the browser's own ``DecompressionStream``.

The rule (``docs/architecture.md``): every HTML page is one self-contained file (it can be moved, e-mailed or
opened from ``file://`` offline, and makes no request), and plotly.js costs it ~2 MB instead of ~4.8 MB. The
bundle's version and SHA-256 are stated on the page and in the run's provenance; the plotly dependency is
pinned in ``pyproject.toml`` so that pages of one secretome version carry the same plotly.js.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BUNDLE_ID = "plotly-bundle"
"""The id of the page element that holds the compressed bundle."""


@dataclass(frozen=True)
class PlotlyBundle:
    """plotly.js as a page carries it: ``payload`` (base64 of the gzip stream), the bundle's ``version``,
    ``sha256`` (hex, of the JavaScript), ``script_hash`` (its CSP ``'sha256-...'`` source) and ``size`` (bytes)."""

    version: str
    sha256: str
    script_hash: str
    size: int
    payload: str


@lru_cache(maxsize=1)
def plotly_bundle() -> PlotlyBundle:
    """The installed (pinned) plotly package's plotly.js, compressed once per process (deterministically:
    no timestamp in the gzip header, so pages are byte-identical run to run)."""
    code = _plotly_min_js()
    version = _banner_version(code) or f"of plotly {_plotly_version()}"
    digest = hashlib.sha256(code).digest()
    return PlotlyBundle(
        version=version, sha256=digest.hex(), script_hash=f"'sha256-{base64.b64encode(digest).decode()}'", size=len(code),
        payload=_payload(code, digest.hex()),
    )


def _plotly_min_js() -> bytes:
    """The bytes of ``plotly/package_data/plotly.min.js`` (what ``plotly.offline.get_plotlyjs`` returns, encoded),
    read from the installed package without importing plotly (its import costs more than the read)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("plotly is not installed (a dependency of secretome: pip install secretome)")
    for location in spec.submodule_search_locations:
        bundle = Path(location) / "package_data" / "plotly.min.js"
        if bundle.is_file():
            return bundle.read_bytes()
    from plotly.offline import get_plotlyjs  # a packaging without a plain file (e.g. a zip): the package reads it

    return get_plotlyjs().encode("utf-8")


def _banner_version(code: bytes) -> str | None:
    """The version in the bundle's ``plotly.js vX.Y.Z`` banner (its first occurrence), found in the bytes: decoding
    and splitting the whole ~4.8 MB script for it cost ~0.06 s of every page."""
    found = _BANNER.search(code)
    return found.group(1).decode("utf-8") if found else None


_BANNER = re.compile(rb"plotly\.js v\s*(\S+)")
"""The banner's version, as the first word after the first ``plotly.js v``."""


def _plotly_version() -> str:
    from importlib.metadata import version

    return version("plotly")


def _payload(code: bytes, sha256: str) -> str:
    """base64 of the gzip stream of ``code``; compressing takes ~0.3-0.8 s, so the result is kept in the user's
    cache folder (``platformdirs.user_cache_dir``, one file per bundle) and checked against ``sha256`` when read
    back (by comparing the decompressed bytes with ``code`` itself: as strict as the digest, a hash pass cheaper).
    A cache that cannot be read or written only costs the compression again."""
    import platformdirs

    from secretome.errors import SecretomeInputError
    from secretome.outputs import atomic_file

    cache = Path(platformdirs.user_cache_dir("secretome", appauthor=False)) / f"plotly-{sha256[:16]}.js.gz.b64"
    try:
        payload = cache.read_text(encoding="ascii")
        if gzip.decompress(base64.b64decode(payload, validate=True)) == code:
            return payload
    except (OSError, ValueError, EOFError, gzip.BadGzipFile):
        pass
    payload = base64.b64encode(gzip.compress(code, compresslevel=9, mtime=0)).decode("ascii")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(cache) as temporary:
            temporary.write_text(payload, encoding="ascii")
    except (OSError, SecretomeInputError):
        pass
    return payload


def plotly_context() -> dict[str, str]:
    """What ``report/templates/plotly.html.j2`` needs to place the bundle on a page."""
    bundle = plotly_bundle()
    return {"bundle_id": BUNDLE_ID, "version": bundle.version, "sha256": bundle.sha256, "payload": bundle.payload}
