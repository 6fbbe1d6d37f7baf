"""Trajectory charts of synthetic studies of 1 to 30 patients with long ids ("UCMSC-001"), drawn by plotly.js in
Debian's Chromium (driven by Playwright's Python package, as ``browser_support`` does) as the camera button saves
them: the PNGs of ``docs/charts.md``, and the text boxes ``tests/test_charts_browser.py`` checks for overlaps.

As a script, it writes the PNGs::

    python tests/chart_gallery.py docs/charts
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from browser_support import CHROMIUM, CHROMIUM_ARGS
from plotly.offline import get_plotlyjs

from medpath.export import stamped
from medpath.figures.style import EXPORT_SCALE, EXPORT_WIDTH
from medpath.figures.trajectory import before_after_figure, small_multiples_figure, spaghetti_figure
from medpath.outcomes import compare_visits
from medpath.protocol import default_protocol

SIZES = (1, 5, 9, 30)
#: The documentation's pictures (of ``figures``): 1280 pixels wide (the camera's 1600 would make the files half as
#: large again for no gain on a page).
DOC_CHARTS, DOC_SCALE = ("small-multiples", "spaghetti-tscore", "before-after-vas"), 1280 / EXPORT_WIDTH
VISITS = (("baseline", 0.0), ("month 1", 1.0), ("month 3", 3.0), ("month 6", 6.0))
#: Stands in for a loaded study where ``export.stamped`` writes the footer.
STUDY = SimpleNamespace(
    label="UCMSC two sites (synthetic)",
    protocol=default_protocol(),
    sources=(SimpleNamespace(name="ucmsc_two_sites.xlsx"),),
    synthetic=True,
)


def synthetic_visits(n: int, seed: int = 4501354) -> pd.DataFrame:
    """n patients UCMSC-001.. with baseline, month 1, 3 and 6 visits: T-scores rising a little, VAS pain in whole
    points falling (so that end values tie), every seventh patient without a month-3 value."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        tscore, pain = rng.uniform(-3.8, -2.4), int(rng.integers(5, 9))
        for visit, month in VISITS:
            missed = i % 7 == 3 and month == 3.0
            rows.append(
                {
                    "patient_id": f"UCMSC-{i + 1:03d}",
                    "visit": visit,
                    "month": month,
                    "bmd_tscore": math.nan if missed else round(tscore + 0.1 * month + rng.normal(0, 0.1), 1),
                    "vas": math.nan if missed else float(max(0, pain - round(0.6 * month) + int(rng.integers(-1, 2)))),
                }
            )
    frame = pd.DataFrame(rows)
    frame["source_file"], frame["source_sheet"] = "ucmsc_two_sites.xlsx", "Visits"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


def figures(n: int) -> dict[str, go.Figure]:
    """The charts of a study of ``n`` patients, by file name, each with the footer its download carries."""
    visits, protocol = synthetic_visits(n), default_protocol()
    made = {
        "small-multiples": small_multiples_figure(visits, protocol=protocol),
        "spaghetti-tscore": spaghetti_figure(visits, "bmd_tscore", protocol=protocol),
        "spaghetti-vas-change": spaghetti_figure(visits, "vas", mode="change", protocol=protocol),
        "before-after-vas": before_after_figure(compare_visits(visits, "vas", protocol=protocol)),
    }
    return {f"{name}-{n}": stamped(fig, STUDY) for name, fig in made.items()}


#: Draws a figure (``args``: its JSON, and the export size) and returns the box of every text in it (title, axis
#: titles, tick labels, annotations, legend) in the picture's pixels, and the picture's size.
DRAW = """async ([figure, width, height]) => {
  const div = document.getElementById('chart');
  await Plotly.newPlot(div, figure.data, {...figure.layout, width, height}, {staticPlot: true});
  const svg = div.querySelector('.main-svg').getBoundingClientRect();
  const selectors = ['.gtitle', '.g-xtitle text', '.g-ytitle text', '[class^="g-x"][class$="title"] text',
    '[class^="g-y"][class$="title"] text', '.xtick text', '.ytick text', '.annotation-text', '.legendtext'];
  const seen = new Set(), texts = [];
  for (const element of div.querySelectorAll(selectors.join(','))) {
    if (seen.has(element)) continue;
    seen.add(element);
    const r = element.getBoundingClientRect();
    if (!r.width || !element.textContent.trim()) continue;
    texts.push({text: element.textContent, kind: element.closest('[class]').getAttribute('class'),
      left: r.left - svg.left, top: r.top - svg.top, right: r.right - svg.left, bottom: r.bottom - svg.top});
  }
  return {width: svg.width, height: svg.height, texts};
}"""
PNG = """async ([width, height, scale]) => Plotly.toImage(document.getElementById('chart'),
  {format: 'png', width, height, scale})"""


def export_height(fig: go.Figure) -> int:
    """The height the camera button saves (``export.chart_config`` given the figure)."""
    from medpath.export import chart_config

    return chart_config(STUDY, "chart", figure=fig)["toImageButtonOptions"]["height"]


@contextlib.contextmanager
def plotly_page() -> Iterator:
    """A Chromium page with plotly.js loaded and an empty chart div."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": EXPORT_WIDTH, "height": 900})
            page.set_content(f'<html><body style="margin:0"><div id="chart"></div><script>{get_plotlyjs()}</script>')
            page.wait_for_function("() => window.Plotly")
            yield page
        finally:
            browser.close()


def draw(page, fig: go.Figure) -> dict:
    """The figure drawn at its export size: the picture's size and every text's box (``DRAW``)."""
    return page.evaluate(DRAW, [json.loads(fig.to_json()), EXPORT_WIDTH, export_height(fig)])


def png(page, fig: go.Figure, scale: float = EXPORT_SCALE) -> bytes:
    """The figure as the camera button saves it (export width, ``export_height``, at ``EXPORT_SCALE``)."""
    draw(page, fig)
    url = page.evaluate(PNG, [EXPORT_WIDTH, export_height(fig), scale])
    return base64.b64decode(url.split(",", 1)[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    directory = parser.parse_args(argv).directory
    directory.mkdir(parents=True, exist_ok=True)
    with plotly_page() as page:
        for n in SIZES:
            for name, fig in figures(n).items():
                if name.rsplit("-", 1)[0] in DOC_CHARTS:
                    (directory / f"{name}.png").write_bytes(png(page, fig, DOC_SCALE))
                print(directory / f"{name}.png")


if __name__ == "__main__":
    main()
