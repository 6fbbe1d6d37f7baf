"""The CONSORT 2025 flow diagram of a single-group trial (``medpath.consort.Flow``), as a plotly figure
(PNG from its camera button) and as a standalone SVG file, both drawn from the same boxes.

The boxes follow the CONSORT 2025 flow diagram (Hopewell et al., BMJ 2025;389:e081123, figure 1) with
one column: assessed for eligibility -> enrolled -> received the intervention -> analysed, and beside
them the excluded (with reasons), those who did not receive the intervention, those lost to follow-up or
who discontinued, and those excluded from each analysis. Stage names (Enrolment, Intervention,
Follow-up, Analysis) run down the left edge as in the CONSORT template. The boxes hold text from the data (patient
ids, a disposition sheet's reasons): their lines are drawn through ``inert_plotly`` in the figure and ``inert_html`` in
the SVG. A number that is not determinable (None in the ``Flow``) is written "not determinable" with its reason
beneath, never 0.

Every arrow leaves something drawn: a box, or the line between two boxes of the main column (a side box hangs
from that line; the last row's side box, below which no line runs, sits beside its box and is reached from it).
Both pictures are landscape, for a slide: at least ``ASPECT`` times as wide as tall. The SVG centres the diagram;
the figure (counting the provenance footer the page writes under it) stretches it sideways, its x range staying the
diagram's ``WIDTH``: boxes grow wider around the same lines of text, and on a page narrower than the figure the
diagram narrows to the page as before.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from medpath.consort import Count, Flow
from medpath.figures.style import FONT_FAMILY, FOOTER_MARGIN, TEXT_COLOUR
from medpath.formatting import NOT_DETERMINABLE
from medpath.inert import inert_html, inert_plotly

WIDTH = 940
#: The least width : height of both pictures (landscape).
ASPECT = 4 / 3
FONT_SIZE = 14
LINE = 18  # px per text line (plotly draws 14 px text about 18 px apart)
PAD = 10
STAGE_BAND = (0, 26)  # x range of the stage names
MAIN = (40, 390)  # x range of the main column's boxes
SIDE = (450, 930)  # x range of the side boxes
GAP = 34  # vertical space between rows
MAIN_CHARS, SIDE_CHARS = 40, 60
STAGE_FILL = "#DCEAF7"
MIN_STAGE = 92  # px: a stage band holds its rotated name
BOX_LINE = "#333333"


@dataclass(frozen=True)
class Box:
    """A box in pixel coordinates (y downwards): its lines of text (the first is its title, drawn bold)."""

    x0: float
    y0: float
    x1: float
    y1: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    boxes: tuple[Box, ...]
    arrows: tuple[tuple[float, float, float, float], ...]  # (x0, y0, x1, y1): from, to (the head)
    stages: tuple[tuple[str, float, float], ...]  # (name, y0, y1)
    height: float


def _n(n: int | None) -> str:
    return NOT_DETERMINABLE if n is None else f"n = {n}"


def _titled(title: str, n: int | None, reason: str | None, width: int) -> list[str]:
    """A box's first line, "Enrolled (n = 5)", and for a number that is not determinable its reason beneath."""
    return [f"{title} ({_n(n)})", *(_wrap(reason, width) if n is None and reason else [])]


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent=indent + "  ", initial_indent=indent) or [indent]


def _count_lines(count: Count, width: int) -> list[str]:
    lines = []
    for reason in count.reasons:
        lines += _wrap(f"• {reason.label} (n = {reason.n})", width)
    return lines


def _excluded_lines(flow: Flow) -> list[str]:
    lines = _titled("Excluded", flow.excluded.n, flow.excluded.reason, SIDE_CHARS)
    for category, n in flow.category_counts():
        lines.append(f"{category} (n = {n})")
        for reason in (r for r in flow.excluded.reasons if r.category == category):
            details = [(d, k) for d, k in reason.details if d]
            redundant = len(details) == 1 and details[0][0].lower() in reason.label.lower()
            detail = "; ".join(f"{d}: {k}" for d, k in details)
            text = f"• {reason.label}: {reason.n}" + (f" ({detail})" if detail and not redundant else "")
            lines += _wrap(text, SIDE_CHARS, "  ")
    return lines


def layout(flow: Flow) -> Diagram:
    """Place the boxes of ``flow`` (pixels, y downwards)."""
    boxes: list[Box] = []
    arrows: list[tuple[float, float, float, float]] = []
    stages: list[tuple[str, float, float]] = []
    y = 10.0
    centre = (MAIN[0] + MAIN[1]) / 2

    def box(x_range, lines, top) -> Box:
        b = Box(x_range[0], top, x_range[1], top + 2 * PAD + LINE * len(lines), tuple(lines))
        boxes.append(b)
        return b

    def row(main_lines, side_lines, stage, last=False):
        """A main box, then (below it, to the right) its side box, reached from the vertical line to the next main
        box; in the ``last`` row (no line below) the side box sits beside the main box, reached from it."""
        nonlocal y
        top = y
        main = box(MAIN, main_lines, y) if main_lines else None
        bottom = main.y1 if main is not None else y - GAP / 2
        if side_lines and last and main is not None:
            side = box(SIDE, side_lines, top)
            mid = (top + min(main.y1, side.y1)) / 2
            arrows.append((MAIN[1], mid, SIDE[0], mid))
            bottom = max(bottom, side.y1)
        elif side_lines:
            side = box(SIDE, side_lines, bottom + GAP / 2)
            mid = (side.y0 + side.y1) / 2
            arrows.append((centre, mid, SIDE[0], mid))
            bottom = side.y1
        bottom = max(bottom, top + MIN_STAGE)  # room for the stage name
        stages.append((stage, top, bottom))
        y = bottom + GAP
        return main, bottom

    previous = None
    if flow.screening_supplied:
        assessed = _titled("Assessed for eligibility", flow.assessed, flow.reasons.get("assessed"), MAIN_CHARS)
        previous, _ = row(assessed, _excluded_lines(flow), "Enrolment")
    enrolled_lines = _titled("Enrolled", flow.enrolled, flow.reasons.get("enrolled"), MAIN_CHARS) + [
        line for note in flow.notes[:2] for line in _wrap(note, MAIN_CHARS)
    ]
    main, _ = row(enrolled_lines, None, "Enrolment")
    if previous is not None:
        arrows.append((centre, previous.y1, centre, main.y0))
    previous = main
    not_received = (
        [f"Did not receive the intervention ({_n(flow.not_received.n)})", *_count_lines(flow.not_received, SIDE_CHARS)]
        if flow.not_received.n
        else None
    )
    received = _titled(
        "Received the intervention", flow.received_intervention, flow.reasons.get("received_intervention"), MAIN_CHARS
    )
    main, _ = row(received, not_received, "Intervention")
    arrows.append((centre, previous.y1, centre, main.y0))
    previous = main
    if flow.disposition_recorded:
        follow = [
            f"Lost to follow-up ({_n(flow.lost_to_follow_up.n)})",
            *_count_lines(flow.lost_to_follow_up, SIDE_CHARS),
            f"Discontinued: withdrew or died ({_n(flow.discontinued.n)})",
            *_count_lines(flow.discontinued, SIDE_CHARS),
        ]
    else:
        why = flow.lost_to_follow_up.reason or "no disposition sheet was read"
        follow = [
            f"Lost to follow-up / discontinued: {NOT_DETERMINABLE}",
            *_wrap(
                f"{why[0].upper()}{why[1:]}. Without a {flow.followup_visit.replace(' ', '-')} primary value: "
                + (", ".join(flow.no_primary_visit) or "none"),
                SIDE_CHARS,
            ),
        ]
    row(None, follow, "Follow-up")
    analysed = [f"Analysed: primary outcomes, {flow.followup_visit}"] + [
        f"{flow.labels.get(k, k)}: n = {n}" for k, n in flow.analysed.items()
    ] or ["Analysed: no primary outcome"]
    excluded = None
    if any(c.n for c in flow.excluded_from_analysis.values()):
        excluded = ["Excluded from the analysis"]
        for key, count in flow.excluded_from_analysis.items():
            excluded.append(f"{flow.labels.get(key, key)} (n = {count.n})")
            excluded += [line for r in count.reasons for line in _wrap(f"• {r.label}: {r.n}", SIDE_CHARS, "  ")]
    main, _ = row(analysed, excluded, "Analysis", last=True)
    arrows.append((centre, previous.y1, centre, main.y0))
    return Diagram(tuple(boxes), tuple(arrows), tuple(stages), y - GAP + 10)


def _merged_stages(stages) -> list[tuple[str, float, float]]:
    merged: list[tuple[str, float, float]] = []
    for name, y0, y1 in stages:
        if merged and merged[-1][0] == name:
            merged[-1] = (name, merged[-1][1], y1)
        else:
            merged.append((name, y0, y1))
    return merged


def _width(height: float) -> int:
    """The width of a picture ``height`` pixels tall: ``WIDTH``, or wider to stay landscape (``ASPECT``)."""
    return max(WIDTH, math.ceil(ASPECT * height))


def consort_figure(flow: Flow, title: str | None = None) -> go.Figure:
    """The diagram as a plotly figure: the boxes are laid out in pixels, the y range the figure's pixels, the x range
    ``WIDTH`` pixels stretched over the (landscape) figure's width."""
    diagram = layout(flow)
    # collected, then given to the figure at once: plotly validates a layout's whole list of shapes or annotations
    # again on each add_shape or add_annotation (the diagram took a tenth of a second)
    shapes: list[dict] = []
    annotations: list[dict] = []
    for b in diagram.boxes:
        shapes.append(
            {
                "type": "rect",
                "x0": b.x0,
                "x1": b.x1,
                "y0": b.y0,
                "y1": b.y1,
                "line": {"color": BOX_LINE, "width": 1.2},
                "fillcolor": "white",
                "layer": "below",
            }
        )
        text = "<br>".join([f"<b>{inert_plotly(b.lines[0])}</b>", *map(inert_plotly, b.lines[1:])])
        annotations.append(
            {
                "x": b.x0 + PAD,
                "y": b.y0 + PAD - 2,
                "text": text,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "align": "left",
                "font": {"size": FONT_SIZE, "family": FONT_FAMILY, "color": TEXT_COLOUR},
            }
        )
    for x0, y0, x1, y1 in diagram.arrows:
        annotations.append(
            {
                "x": x1,
                "y": y1,
                "ax": x0,
                "ay": y0,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "text": "",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1.2,
                "arrowwidth": 1.4,
                "arrowcolor": BOX_LINE,
            }
        )
    for name, y0, y1 in _merged_stages(diagram.stages):
        shapes.append(
            {
                "type": "rect",
                "x0": STAGE_BAND[0],
                "x1": STAGE_BAND[1],
                "y0": y0,
                "y1": y1,
                "line": {"width": 0},
                "fillcolor": STAGE_FILL,
                "layer": "below",
            }
        )
        annotations.append(
            {
                "x": sum(STAGE_BAND) / 2,
                "y": (y0 + y1) / 2,
                "text": f"<b>{name}</b>",
                "textangle": -90,
                "showarrow": False,
                "font": {"size": FONT_SIZE - 1, "family": FONT_FAMILY, "color": TEXT_COLOUR},
            }
        )
    title = title or _title(flow)
    top = 56
    height = int(diagram.height) + top + 10
    return go.Figure(
        layout={
            "shapes": shapes,
            "annotations": annotations,
            "title": {"text": title, "font": {"size": 18, "family": FONT_FAMILY, "color": TEXT_COLOUR}, "x": 0.01},
            "width": _width(height + FOOTER_MARGIN),  # the page writes the provenance footer under the diagram
            "height": height,
            "margin": {"l": 0, "r": 0, "t": top, "b": 10},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "showlegend": False,
            "xaxis": {"range": [0, WIDTH], "visible": False, "fixedrange": True},
            "yaxis": {"range": [diagram.height, 0], "visible": False, "fixedrange": True},
        }
    )


def _title(flow: Flow) -> str:
    return f"CONSORT 2025 flow diagram{', ' + flow.trial if flow.trial else ''} (single group)"


#: The SVG's footer: its font size and line height (pixels).
FOOTER_SIZE, FOOTER_LINE = 12, 16


def consort_svg(flow: Flow, title: str | None = None, footer: Sequence[str] = ()) -> str:
    """The same diagram as a standalone SVG document (vector: scales for a paper or a poster), with the ``footer``
    lines (plain text, e.g. ``medpath.export.footer_lines``: trial, file, date, MedPath version) at its bottom left."""
    diagram = layout(flow)
    top = 40
    height = math.ceil(diagram.height + top + 10 + (FOOTER_LINE * len(footer) + 8 if footer else 0))
    width = _width(height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{inert_html(FONT_FAMILY)}" font-size="{FONT_SIZE}">',
        '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{BOX_LINE}"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="8" y="26" font-size="18" fill="{TEXT_COLOUR}">{inert_html(title or _title(flow))}</text>',
        *(
            f'<text x="8" y="{height - 8 - FOOTER_LINE * (len(footer) - 1 - k)}" font-size="{FOOTER_SIZE}" '
            f'fill="#444444">{inert_html(line)}</text>'
            for k, line in enumerate(footer)
        ),
        f'<g transform="translate({(width - WIDTH) / 2:g} {top})">',
    ]
    for name, y0, y1 in _merged_stages(diagram.stages):
        cx, cy = sum(STAGE_BAND) / 2, (y0 + y1) / 2
        parts.append(
            f'<rect x="{STAGE_BAND[0]}" y="{y0:.1f}" width="{STAGE_BAND[1] - STAGE_BAND[0]}" '
            f'height="{y1 - y0:.1f}" fill="{STAGE_FILL}"/>'
            f'<text x="{cx}" y="{cy:.1f}" transform="rotate(-90 {cx} {cy:.1f})" text-anchor="middle" '
            f'dominant-baseline="middle" font-weight="bold" font-size="{FONT_SIZE - 1}" '
            f'fill="{TEXT_COLOUR}">{inert_html(name)}</text>'
        )
    for b in diagram.boxes:
        parts.append(
            f'<rect x="{b.x0}" y="{b.y0:.1f}" width="{b.x1 - b.x0}" height="{b.y1 - b.y0:.1f}" '
            f'fill="white" stroke="{BOX_LINE}" stroke-width="1.2"/>'
        )
        spans = "".join(
            f'<tspan x="{b.x0 + PAD}" y="{b.y0 + PAD + LINE * (k + 1) - 5:.1f}"'
            f'{" font-weight=" + chr(34) + "bold" + chr(34) if k == 0 else ""} xml:space="preserve">{inert_html(line)}</tspan>'
            for k, line in enumerate(b.lines)
        )
        parts.append(f'<text fill="{TEXT_COLOUR}">{spans}</text>')
    for x0, y0, x1, y1 in diagram.arrows:
        parts.append(
            f'<line x1="{x0}" y1="{y0:.1f}" x2="{x1}" y2="{y1:.1f}" stroke="{BOX_LINE}" stroke-width="1.4" '
            'marker-end="url(#head)"/>'
        )
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
