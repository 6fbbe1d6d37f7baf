"""Shared look of every MedPath chart: fonts, white background, one colour and one marker shape per
patient, the provenance footer every chart carries, and the contrast arithmetic behind the colours.

Patient colours follow the hues of Okabe & Ito's colour-blind-safe palette ("Color Universal Design",
2008), darkened until each reaches WCAG 2.1's 3:1 contrast for graphics (success criterion 1.4.11)
against the white background and against every WHO band fill (``tests/test_trajectory_figures.py``
computes it); beyond nine patients colours repeat and the marker shape tells patients apart.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito without its yellow (#F0E442), which is too faint on the white background (kept for the funnel's bars).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000")
#: Patient colours: Okabe-Ito hues darkened to >= 3:1 against white and the WHO band fills (the original
#: orange and sky blue reach only 1.8 and 1.9:1), then Paul Tol's dark "muted" tones.
PALETTE = ("#0072B2", "#B34700", "#007A5A", "#A8467F", "#8C6100", "#000000", "#6A3D9A", "#882255", "#332288")
#: One marker shape per patient (cycled with a different step from the colours, so that patients 1 and 10
#: share neither).
SYMBOLS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "triangle-down",
    "star",
    "cross",
    "hexagon",
    "pentagon",
    "triangle-left",
)
#: The WHO band borders (T = −1 and −2.5): dashed, dark enough for 3:1 against every band fill.
BAND_BORDER_COLOUR = "#555555"
#: The median line, drawn beneath the patients' lines: wide, mid grey (4.5:1 against white).
MEDIAN_COLOUR = "#767676"
#: Exported images (the modebar's camera, the report's static copies, slides): one fixed 16:9 layout
#: size whatever the browser window, saved at EXPORT_SCALE (so 1600 x 900 pixels).
EXPORT_WIDTH, EXPORT_HEIGHT, EXPORT_SCALE = 800, 450, 2
#: Room at the bottom of every chart for the provenance footer (pixels): two lines.
FOOTER_MARGIN = 44
FONT_FAMILY = "Arial, Helvetica, sans-serif"
BASE_FONT_SIZE = 15
TITLE_FONT_SIZE = BASE_FONT_SIZE + 4
#: The house figure height (pixels); a figure drawn taller (panels, many labels) also exports at its own height.
FIGURE_HEIGHT = 480
#: Titles are wrapped to this width (pixels): the export width less the template's title inset (x = 0.05) and
#: a little air. plotly never wraps a title; a long one ran off the picture.
TITLE_WIDTH = 0.95 * EXPORT_WIDTH - 12
#: A line of title text, and the room above the title (pixels).
TITLE_LINE, TITLE_PAD = 25, 12
#: A row of a horizontal legend above the plot (pixels).
LEGEND_ROW = 28
TEXT_COLOUR = "#222222"  # near-black: axis text stays legible when projected


#: Advance widths of Arial's characters in em, by class, rounded up to bold's: what the figures reserve for a
#: text (margins, label columns, wrapped titles) without a browser to measure it. Errs wide, never narrow.
_NARROW, _WIDE = frozenset(" iljtfI.,:;'|!()[]-/"), frozenset("mwMW%@—")


def text_width(text: str, size: float) -> float:
    """The width in pixels of one line of plain ``text`` at ``size`` px in Arial, estimated (bold or not)."""
    return size * sum(0.34 if c in _NARROW else 1.0 if c in _WIDE else 0.74 if c.isupper() else 0.6 for c in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` pixels at ``size`` px (``text_width``); a word
    wider than that keeps a line of its own."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def title_layout(title: str, caption: str = "", *, legend: bool = False) -> dict:
    """Layout of a figure's title wrapped to ``TITLE_WIDTH`` (plain text, or plotly pseudo-HTML without line
    breaks), with an optional ``caption`` line in smaller type under it, and a top margin that holds them and,
    with ``legend``, a horizontal legend row above the plot."""
    lines = wrap(title, TITLE_WIDTH, TITLE_FONT_SIZE)
    text = "<br>".join(lines) + (f"<br><sup>{caption}</sup>" if caption else "")
    count = len(lines) + bool(caption)
    top = 2 * TITLE_PAD + TITLE_LINE * count + (LEGEND_ROW if legend else 0)
    # plotly.js (4.1) anchors a title of several lines by its first line's baseline whatever its yanchor, 0.7 em
    # higher than a one-line title's top: pushed down by as much, the first line starts TITLE_PAD from the top
    pad = TITLE_PAD + (round(0.7 * TITLE_FONT_SIZE) if count > 1 else 0)
    return {
        "title": {"text": text, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": pad}},
        "margin": {"t": top},
    }


def patient_colours(patient_ids: Iterable[str]) -> dict[str, str]:
    """Map each patient id (sorted, so the mapping is the same on every page) to a colour."""
    ids = sorted(dict.fromkeys(str(p) for p in patient_ids))
    return {pid: PALETTE[i % len(PALETTE)] for i, pid in enumerate(ids)}


def patient_symbols(patient_ids: Iterable[str]) -> dict[str, str]:
    """Map each patient id (sorted, as ``patient_colours``) to a marker shape."""
    ids = sorted(dict.fromkeys(str(p) for p in patient_ids))
    return {pid: SYMBOLS[i % len(SYMBOLS)] for i, pid in enumerate(ids)}


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a "#RRGGBB" colour (sRGB, linearised)."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05) of two "#RRGGBB" colours, 1 to 21."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def add_footer(fig: go.Figure, text: str) -> go.Figure:
    """Write ``text`` (the provenance: trial, data file, date, "SYNTHETIC") inside the figure, at its
    bottom left, below everything else, so that every exported image names where it came from. The
    bottom margin grows by ``FOOTER_MARGIN``."""
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 60
    left = fig.layout.margin.l if fig.layout.margin.l is not None else 70
    fig.update_layout(margin={"b": bottom + FOOTER_MARGIN})
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        xanchor="left",
        yanchor="top",
        xshift=-(left - 8),
        yshift=-(bottom + FOOTER_MARGIN - 40),
        showarrow=False,
        align="left",
        font={"size": BASE_FONT_SIZE - 3, "color": "#444444"},
        name="provenance",
    )
    return fig


#: The template of every figure: plotly_white's layout (white background, light grid, axis styles) and its trace
#: defaults for the trace types drawn here (scatter, funnel) only. plotly deep-copies and validates a figure's
#: template whenever a figure is made or its template set; plotly_white's defaults for some forty trace types made
#: that about 20 ms per figure, most of a report's build time.
TEMPLATE_NAME = "medpath"


def _template() -> go.layout.Template:
    white = pio.templates["plotly_white"]
    used = {kind: getattr(white.data, kind) for kind in ("scatter", "funnel") if getattr(white.data, kind)}
    return go.layout.Template(layout=white.layout, data=used)


pio.templates[TEMPLATE_NAME] = _template()
#: also the default, so that every ``go.Figure()`` starts from it rather than from plotly's full default template
pio.templates.default = TEMPLATE_NAME


def apply_layout(fig: go.Figure, title: str, *, height: int = FIGURE_HEIGHT) -> go.Figure:
    """White background, legible fonts (>= 12 px everywhere) and a title stating the content. The figure's template is
    the default one, ``TEMPLATE_NAME`` (set again here it would be validated again: 10 ms per figure)."""
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_FONT_SIZE}},
        font={"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": TEXT_COLOUR},
        legend={"font": {"size": BASE_FONT_SIZE - 1}},
        hoverlabel={"font": {"size": BASE_FONT_SIZE - 1}},
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
    )
    axis = {
        "title_font": {"size": BASE_FONT_SIZE, "color": TEXT_COLOUR},
        "tickfont": {"size": BASE_FONT_SIZE - 1, "color": TEXT_COLOUR},
        "linecolor": "#888888",
        "showline": True,
    }
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig


@functools.cache
def house_style() -> dict[str, Any]:
    """``apply_layout``'s look (fonts, white background, margins, axis lines) as a layout dict, made once: applying it
    to a finished figure walks every axis through plotly's validators, which costs more than building the figure.
    Never mutated: ``merged_layout`` copies what it changes. Without the template: a figure given none gets the
    default one, ``TEMPLATE_NAME``, which plotly takes as validated, where a template given in the layout is
    copied and validated again (8 ms a figure)."""
    layout = apply_layout(go.Figure(), "").layout.to_plotly_json()
    return {key: value for key, value in layout.items() if key != "template"}


def merged_layout(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra`` as ``update_layout`` would (nested dicts merged), leaving both unchanged."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            merged_layout(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def one_go_figure(traces: list[dict[str, Any]], layout: dict[str, Any], height: int) -> go.Figure:
    """The figure in one go, each trace and the layout validated once (a figure built by ``add_trace``,
    ``add_annotation`` and ``update_*`` calls is validated again at each: three to ten times the time): the house
    style, then ``layout``, whose ``xaxes`` / ``yaxes`` entries (axis name -> settings) each get the house axis style
    first."""
    style = house_style()
    axes = {
        name: merged_layout(style["xaxis" if name.startswith("x") else "yaxis"], settings)
        for name, settings in {**layout.pop("xaxes", {}), **layout.pop("yaxes", {})}.items()
    }
    full = merged_layout(style, {**layout, "height": height})
    return go.Figure(data=traces, layout={**full, **axes})


#: A shape across the whole plot width (what ``add_hline`` / ``add_hrect`` draw).
ACROSS = {"xref": "x domain", "x0": 0, "x1": 1, "yref": "y"}


def across_line(y: float, line: dict[str, Any], **extra) -> dict[str, Any]:
    """A horizontal line at ``y`` across the plot (``add_hline``'s shape)."""
    return {**ACROSS, "type": "line", "y0": y, "y1": y, "line": line, **extra}
