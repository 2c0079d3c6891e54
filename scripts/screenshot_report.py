"""Screenshot a secretome report in headless Debian chromium (Playwright), e.g. to check how it looks.

Usage: python scripts/screenshot_report.py REPORT.html OUT.png [--width 1400]
Opens the file offline (all network requests are blocked), waits for every plot to render, prints any
console errors and saves a full-page PNG. Needs the `playwright` package and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# every figure has rendered: the report's placeholders (filled from script[data-figure]) and any plotly
# divs that extra sections bring with their own newPlot call all contain plotly's SVG
RENDERED = """() => {
  const ids = [...document.querySelectorAll('script[data-figure]')].map(n => n.getAttribute('data-figure'));
  const targets = ids.map(id => document.getElementById(id))
    .concat([...document.querySelectorAll('.plotly-graph-div')].filter(d => !ids.includes(d.id)));
  return targets.length > 0 && targets.every(t => t !== null && t.querySelector('.main-svg') !== null);
}"""


def screenshot(report: Path, out: Path, width: int = 1400) -> list[str]:
    """Render ``report`` and write ``out``; returns the console errors seen (empty when clean)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("http*://**", lambda route: route.abort())
        page.goto(report.resolve().as_uri())
        page.wait_for_function(RENDERED, timeout=30000)
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    errors = screenshot(args.report, args.out, args.width)
    for error in errors:
        print(f"console error: {error}", file=sys.stderr)
    print(args.out)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
