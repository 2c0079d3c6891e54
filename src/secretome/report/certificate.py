"""Certificates of analysis: one printable page per lot (or group), made into a PDF by headless Chromium.

The page is drawn from the profile summary alone (like the report): the lot's purity verdict and
indices against their limits, the four seed classes' shares and top factors, the key-factor panel,
the comparison with the reference lots, the method, versions and input checksum, and a review box.
Chromium runs offline (no network, a throw-away profile); without it, asking for PDFs is an input error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executables tried, in order, when ``$SECRETOME_CHROMIUM`` does not name one."""

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-extensions", "--no-pdf-header-footer", "--proxy-server=127.0.0.1:9",
)
"""Offline printing: no background requests, no extensions, and a proxy that goes nowhere for anything else."""


def chromium() -> str | None:
    """The Chromium executable to print with, or None."""
    named = os.environ.get("SECRETOME_CHROMIUM")
    if named:
        return named if Path(named).exists() else shutil.which(named)
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def require_chromium() -> str:
    """The Chromium executable, or an input error saying how to get one."""
    executable = chromium()
    if executable is None:
        raise SecretomeInputError(
            "PDF certificates are printed with Chromium, which is not installed", parameters=("pdf",),
            expected="chromium on the PATH (Debian: apt-get install chromium) or $SECRETOME_CHROMIUM, or no pdf",
        )
    return executable


def certificate_html(summary: dict[str, Any], level: str) -> str:
    """The certificate page of one lot or group level of a profile summary."""
    from secretome.report import FLAG_COLOURS, _environment

    cards = {card["level"]: card for card in summary["overview"]}
    if level not in cards:
        raise SecretomeInputError(f"no lot or group {level!r} in this profile", expected=", ".join(cards))
    card = cards[level]
    groups = summary.get("groups") or {}
    means = groups.get("means", {}).get(level) if groups else summary["purity"]["mean_shares"]
    lots = {row["lot"]: row for row in (summary.get("comparability") or {}).get("lots", [])}
    analysed = next((step["time_utc"] for step in reversed(summary["provenance"]) if step["step"] == "profile"), "")
    return _environment().get_template("certificate.html.j2").render(
        s=summary, card=card, means=means or {}, lot_row=lots.get(level), analysed=analysed, flag_colours=FLAG_COLOURS,
    )


def write_certificate(summary: dict[str, Any], level: str, path: str | Path) -> Path:
    """Print the certificate of ``level`` to the PDF ``path`` with headless Chromium."""
    executable = require_chromium()
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="secretome-certificate-") as work:
        page = Path(work) / "certificate.html"
        page.write_text(certificate_html(summary, level), encoding="utf-8")
        command = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={Path(work) / 'profile'}",
                   f"--print-to-pdf={path}", page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or not path.is_file() or path.stat().st_size == 0:
            raise SecretomeInputError(f"Chromium could not print the certificate of {level!r}: "
                                      f"{(done.stderr or '').strip().splitlines()[-1:] or ['no output']}",
                                      parameters=("pdf",))
    return path
