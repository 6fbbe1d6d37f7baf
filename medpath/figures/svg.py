"""A static SVG copy of a MedPath plotly figure, drawn by the core without JavaScript: what the report shows
where scripts do not run (mail previews, Teams, SharePoint) and what it prints.

It draws what MedPath's figures use: scatter traces (lines, dotted/dashed lines, markers, text beside them;
gaps at missing values), vertical bar traces (with their text at the bar's end), funnel traces (as horizontal
bars with their values), numeric and categorical axes (categories in the axis's ``categoryarray`` order, or
as they first appear), horizontal bands and lines (``add_hrect``, ``add_hline``), annotations (patient labels,
class labels, exclusion boxes, the provenance footer), the title, axis titles and tick labels, the legend (rows
of keys right-aligned above the plot, where MedPath's figures place it), on one or several subplots (each trace
on its own axes' domain). ``can_draw`` says whether a figure holds only these. Not a general plotly renderer:
hover and plotly's automatic margins are left out (the room tick labels and funnel labels take is estimated,
``style.text_width``); the picture is a faithful, simple copy of the data, at the export width
(``style.EXPORT_WIDTH``) and the figure's height, scaled to the page by its viewBox.

Plotly's pseudo-HTML in titles and labels (``<br>``, ``<b>``, entities) is turned into lines of plain text first,
then every text (and attribute value) is escaped for SVG by ``medpath.inert.inert_html``.
"""

from __future__ import annotations

import base64
import html
import math
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

from medpath.figures.style import (
    BASE_FONT_SIZE,
    EXPORT_HEIGHT,
    EXPORT_WIDTH,
    FONT_FAMILY,
    TEXT_COLOUR,
    TITLE_FONT_SIZE,
    TITLE_LINE,
    TITLE_PAD,
    text_width,
)
from medpath.inert import inert_html as _esc

_DASH = {"dash": "8 5", "dot": "2 4", "dashdot": "8 4 2 4", "longdash": "12 6"}
_TAG = re.compile(r"<(?!br\s*/?>)[^>]*>", re.IGNORECASE)


def _lines(text: object) -> list[str]:
    """Plotly pseudo-HTML as plain lines: split at <br>, other tags dropped, entities decoded."""
    raw = "" if text is None else str(text)
    return [html.unescape(_TAG.sub("", part)) for part in re.split(r"<br\s*/?>", raw, flags=re.IGNORECASE)]


class _View:
    """Read-only attribute access to a figure's JSON (``go.Figure.to_plotly_json``), as ``figure_svg`` reads it: an
    unset value is None and an unset object an empty view, as plotly's own objects give them, without plotly's
    validated property access (about 5 µs an attribute; one SVG reads thousands)."""

    __slots__ = ("_data",)

    def __init__(self, data: object):
        self._data = data if isinstance(data, dict) else {}

    def __getattr__(self, name: str):
        value = self._data.get(name)
        if isinstance(value, dict) or (value is None and name in _OBJECTS):
            return _View(value)
        if value is None and name in _LISTS:
            return []
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            return [_View(v) for v in value]
        return value

    def __getitem__(self, name: str):
        """``layout["xaxis2"]``: an axis, an empty view when the figure does not set it (a trace's ``xaxis`` is its
        axis's name, read as an attribute)."""
        value = self._data.get(name)
        return _View(value) if value is None or isinstance(value, dict) else value


#: Properties that are objects: an unset one reads as an empty view (``t.line.color`` is then None).
_OBJECTS = frozenset({"layout", "margin", "title", "font", "line", "marker", "textfont", "legend"})
#: Properties that are lists of objects: an unset one reads as an empty list.
_LISTS = frozenset({"shapes", "annotations", "data"})


def _decoded(node: Any) -> Any:
    """plotly's JSON with each typed array (how it writes a numeric numpy array: ``{"dtype", "bdata", "shape"}``) as
    a list, so that a trace made of numpy arrays (``trajectory._all_patients_trace``) reads as any other."""
    if isinstance(node, dict):
        if "bdata" in node:
            values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            shape = node.get("shape")
            return (values.reshape([int(n) for n in shape.split(",")]) if shape else values).tolist()
        return {key: _decoded(value) for key, value in node.items()}
    return [_decoded(value) for value in node] if isinstance(node, (list, tuple)) else node


def _figure_view(fig: go.Figure) -> _View:
    """The figure as a ``_View``: ``.layout`` and ``.data`` (a list of trace views)."""
    raw = _decoded(fig.to_plotly_json())
    return _View({"layout": raw.get("layout", {}), "data": raw.get("data", [])})


#: Trace types ``figure_svg`` draws.
DRAWN_TRACES = ("scatter", "bar", "funnel")


def can_draw(fig: go.Figure) -> bool:
    """Whether ``figure_svg`` draws every trace of ``fig`` (scatter, vertical bar and funnel traces)."""
    return all(t.type in DRAWN_TRACES and not (t.type == "bar" and t.orientation == "h") for t in fig.data)


def _categories(fig: _View, ref: str, kind: str) -> list[str] | None:
    """The categories of a categorical axis in the order plotly draws them (the axis's ``categoryarray`` when its
    ``categoryorder`` is "array", else as they first appear in the traces), or None for a numeric axis."""
    axis = fig.layout[_axis_name(ref, kind)]
    values = [
        v
        for t in fig.data
        if t.type in ("scatter", "bar") and (getattr(t, f"{kind}axis") or kind) == ref
        for v in (getattr(t, kind) if getattr(t, kind) is not None else ())
    ]
    if axis.type != "category" and not any(isinstance(v, str) for v in values):
        return None
    order = list(axis.categoryarray) if axis.categoryorder == "array" and axis.categoryarray is not None else []
    return [str(c) for c in dict.fromkeys([*order, *map(str, values)])]


def _coords(values, categories: list[str] | None) -> list[float | None]:
    """Data values as positions on their axis: numbers, or a category's index."""
    if categories is None:
        return _num(values)
    index = {c: float(i) for i, c in enumerate(categories)}
    return [index.get(str(v)) if v is not None else None for v in (values if values is not None else [])]


def _num(values) -> list[float | None]:
    out: list[float | None] = []
    for v in values if values is not None else []:
        try:
            f = float(v)
            out.append(None if math.isnan(f) else f)
        except (TypeError, ValueError):
            out.append(None)
    return out


class _Axes:
    """One subplot: its pixel box and data ranges."""

    def __init__(self, box: tuple[float, float, float, float], xr: tuple[float, float], yr: tuple[float, float]):
        self.box, self.xr, self.yr = box, xr, yr

    def x(self, v: float) -> float:
        left, _, right, _ = self.box
        span = (self.xr[1] - self.xr[0]) or 1.0
        return left + (v - self.xr[0]) / span * (right - left)

    def y(self, v: float) -> float:
        _, top, _, bottom = self.box
        span = (self.yr[1] - self.yr[0]) or 1.0
        return bottom - (v - self.yr[0]) / span * (bottom - top)


def _text(
    x: float,
    y: float,
    text: object,
    *,
    size: float = BASE_FONT_SIZE,
    colour: str = TEXT_COLOUR,
    anchor: str = "start",
    weight: str = "normal",
    rotate: bool = False,
    baseline: str = "middle",
) -> str:
    lines = _lines(text)
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    first = y - (len(lines) - 1) * size * 0.6 if baseline == "middle" else y
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * size * 1.2:.1f}">{_esc(line)}</tspan>' for i, line in enumerate(lines)
    )
    return (
        f'<text font-size="{size:.0f}" fill="{_esc(colour)}" text-anchor="{anchor}" font-weight="{weight}" '
        f'dominant-baseline="middle"{transform}>{spans}</text>'
    )


def _axis_name(ref: str, kind: str) -> str:
    suffix = ref[1:] if len(ref) > 1 else ""
    return f"{kind}axis{suffix}"


def figure_svg(
    figure: go.Figure, title: str | None = None, *, width: int = EXPORT_WIDTH, height: int | None = None
) -> str:
    """The figure as one standalone ``<svg>`` element (role="img", its title as the accessible name)."""
    fig = _figure_view(figure)
    layout = fig.layout
    height = int(height or layout.height or EXPORT_HEIGHT)
    margin = layout.margin
    left, right = margin.l if margin.l is not None else 70, margin.r if margin.r is not None else 30
    top, bottom = margin.t if margin.t is not None else 80, margin.b if margin.b is not None else 60
    if any(t.type == "funnel" for t in fig.data):  # room for the step labels (plotly's automargin)
        steps = [line for t in fig.data if t.type == "funnel" for label in t.y or () for line in _lines(label)]
        left = max(left, 16 + max((text_width(line, FUNNEL_LABEL_SIZE) for line in steps), default=0.0))
    plot = (left, top, width - right, height - bottom)
    name = title or " ".join(_lines(layout.title.text)) or "Chart"

    traces = list(fig.data)
    funnel = [t for t in traces if t.type == "funnel"]
    placed = [t for t in traces if t.type in ("scatter", "bar")]
    refs = sorted({(t.xaxis or "x", t.yaxis or "y") for t in placed}) or [("x", "y")]
    categories = {(ref, kind): _categories(fig, ref, kind) for pair in refs for ref, kind in zip(pair, ("x", "y"))}
    coords = {  # each placed trace's (x, y) positions: numbers, or category indices
        id(t): (_coords(t.x, categories[(t.xaxis or "x", "x")]), _coords(t.y, categories[(t.yaxis or "y", "y")]))
        for t in placed
    }

    def place(plot: tuple[float, float, float, float]) -> dict[tuple[str, str], _Axes]:
        """Each subplot's pixel box (its domain of ``plot``) and data ranges."""
        axes: dict[tuple[str, str], _Axes] = {}
        for xref, yref in refs:
            xa, ya = layout[_axis_name(xref, "x")], layout[_axis_name(yref, "y")]
            xd, yd = (xa.domain or (0, 1)), (ya.domain or (0, 1))
            box = (
                plot[0] + xd[0] * (plot[2] - plot[0]),
                plot[3] - yd[1] * (plot[3] - plot[1]),
                plot[0] + xd[1] * (plot[2] - plot[0]),
                plot[3] - yd[0] * (plot[3] - plot[1]),
            )
            mine = [t for t in placed if (t.xaxis or "x") == xref and (t.yaxis or "y") == yref]
            xs = [v for t in mine for v in coords[id(t)][0] if v is not None]
            ys = [v for t in mine for v in coords[id(t)][1] if v is not None]
            ys += [0.0 for t in mine if t.type == "bar"]  # a bar starts at 0
            xcats, ycats = categories[(xref, "x")], categories[(yref, "y")]
            if xcats is not None:
                xr: tuple = (-0.5, len(xcats) - 0.5)
            else:
                xr = tuple(xa.range) if xa.range else ((min(xs), max(xs)) if xs else (0.0, 1.0))
            if ycats is not None:
                yr: tuple = (-0.5, len(ycats) - 0.5)
            elif ya.range:
                yr = tuple(ya.range)
            elif ys:
                pad = 0.08 * ((max(ys) - min(ys)) or 1.0)
                yr = (min(ys) - pad, max(ys) + pad)
            else:
                yr = (0.0, 1.0)
            if xr[0] == xr[1]:
                xr = (xr[0] - 0.5, xr[1] + 0.5)
            axes[(xref, yref)] = _Axes(box, (float(xr[0]), float(xr[1])), (float(yr[0]), float(yr[1])))
        return axes

    axes = place(plot)
    # room for the longest y tick label and the y title left of it (plotly's automargin does this on screen)
    needed = max(
        (
            26
            + 0.55 * (BASE_FONT_SIZE - 1) * max((len(t) for _, t in _y_ticks(ax, categories[(yref, "y")])), default=2)
            + 1.2 * (BASE_FONT_SIZE - 1) * (len(_lines(layout[_axis_name(yref, "y")].title.text)) - 1)
            for (_, yref), ax in axes.items()
            if layout[_axis_name(yref, "y")].title.text and ax.box[0] <= plot[0] + 1
        ),
        default=0.0,
    )
    if needed + 12 > plot[0] and not funnel:
        plot = (needed + 12, plot[1], plot[2], plot[3])
        axes = place(plot)
    main = axes.get(("x", "y")) or next(iter(axes.values()))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_esc(name)}" font-family="{_esc(FONT_FAMILY)}">',
        f"<title>{_esc(name)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    # shapes: bands and reference lines (y in data units of the main axes, x across the plot)
    for shape in layout.shapes:
        x0, x1 = main.box[0], main.box[2]
        if shape.type == "rect" and shape.y0 is not None:
            y0, y1 = sorted(
                (main.y(max(min(shape.y0, main.yr[1]), main.yr[0])), main.y(max(min(shape.y1, main.yr[1]), main.yr[0])))
            )
            out.append(
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
                f'fill="{_esc(shape.fillcolor or "#eeeeee")}"/>'
            )
        elif shape.type == "line" and shape.y0 is not None and shape.y0 == shape.y1:
            y = main.y(shape.y0)
            dash = _DASH.get(shape.line.dash or "", "")
            out.append(
                f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{_esc(shape.line.color or "#555")}" '
                f'stroke-width="{shape.line.width or 1}"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            )
    # axes, ticks and titles
    for (xref, yref), ax in axes.items() if not funnel else []:
        x0, y0, x1, y1 = ax.box
        out.append(f'<path d="M{x0:.1f},{y0:.1f} V{y1:.1f} H{x1:.1f}" fill="none" stroke="#888888"/>')
        xa, ya = layout[_axis_name(xref, "x")], layout[_axis_name(yref, "y")]
        xcats, ycats = categories[(xref, "x")], categories[(yref, "y")]
        if xcats is not None and xa.showticklabels is not False:
            for i, label in enumerate(xcats):
                out.append(_text(ax.x(float(i)), y1 + 16, label, size=BASE_FONT_SIZE - 1, anchor="middle"))
        elif xa.tickvals is not None and xa.showticklabels is not False:
            for v, label in zip(xa.tickvals, xa.ticktext or [f"{v:g}" for v in xa.tickvals]):
                out.append(_text(ax.x(float(v)), y1 + 16, label, size=BASE_FONT_SIZE - 1, anchor="middle"))
        elif xa.showticklabels is not False:
            step = float(xa.dtick) if isinstance(xa.dtick, (int, float)) else _nice_step(ax.xr[1] - ax.xr[0])
            v = math.ceil(ax.xr[0] / step) * step
            while v <= ax.xr[1] + 1e-9:
                out.append(
                    _text(ax.x(v), y1 + 16, f"{v:g}".replace("-", "−"), size=BASE_FONT_SIZE - 1, anchor="middle")
                )
                v += step
        labels = _y_ticks(ax, ycats) if ya.showticklabels is not False else []
        if ycats is None:  # light grid lines at the numeric ticks
            out += [
                f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="#eeeeee"/>' for y, _ in labels
            ]
        out += [_text(x0 - 6, y, label, size=BASE_FONT_SIZE - 1, anchor="end") for y, label in labels]
        #: the y title left of the longest tick label (about 0.55 em per character)
        title_lines = len(_lines(ya.title.text))  # a title of several lines is centred on title_x
        title_x = (
            x0
            - 20
            - 0.55 * (BASE_FONT_SIZE - 1) * max((len(label) for _, label in labels), default=2)
            - 0.6 * (BASE_FONT_SIZE - 1) * (title_lines - 1)
        )
        if xa.title.text:
            out.append(_text((x0 + x1) / 2, y1 + 40, xa.title.text, anchor="middle"))
        if ya.title.text:
            out.append(
                _text(title_x, (y0 + y1) / 2, ya.title.text, anchor="middle", rotate=True, size=BASE_FONT_SIZE - 1)
            )
    # traces
    for t in traces:
        if t.type == "funnel":
            out += _funnel(t, plot)
            continue
        if t.type == "bar":
            out += _bars(t, axes.get((t.xaxis or "x", t.yaxis or "y"), main), *coords[id(t)])
            continue
        if t.type != "scatter":
            continue
        ax = axes.get((t.xaxis or "x", t.yaxis or "y"), main)
        points_x, points_y = coords[id(t)]
        colour = _colour(t)
        mode = t.mode or "lines+markers"
        if "lines" in mode:
            segments: list[list[str]] = []
            current: list[str] = []
            for px, py in zip(points_x, points_y):
                if px is None or py is None:
                    if current:
                        segments.append(current)
                    current = []
                else:
                    current.append(f"{ax.x(px):.1f},{ax.y(py):.1f}")
            if current:
                segments.append(current)
            out += [_polyline(points, t) for points in segments if len(points) > 1]
        if "markers" in mode:
            sizes = t.marker.size if isinstance(t.marker.size, (list, tuple)) else [t.marker.size or 8] * len(points_x)
            symbols = (
                t.marker.symbol
                if isinstance(t.marker.symbol, (list, tuple))
                else [t.marker.symbol or "circle"] * len(points_x)
            )
            for px, py, size, symbol in zip(points_x, points_y, sizes, symbols):
                if px is None or py is None or not size:
                    continue
                out.append(_marker(ax.x(px), ax.y(py), float(size), str(symbol), colour))
        if "text" in mode and t.text is not None and not isinstance(t.text, str):
            where = t.textposition if isinstance(t.textposition, (list, tuple)) else [t.textposition] * len(t.text)
            size = t.textfont.size if t.textfont and t.textfont.size else BASE_FONT_SIZE - 2
            for px, py, label, position in zip(points_x, points_y, t.text, where):
                if px is None or py is None or label is None:
                    continue
                dy = 14 if position and str(position).startswith("bottom") else -8
                out.append(_text(ax.x(px) + 8, ax.y(py) + dy, label, size=size, anchor="start"))
    # annotations
    for a in layout.annotations:
        if a.name == "provenance":
            out.append(_text(8, height - 30, a.text, size=BASE_FONT_SIZE - 3, colour="#444444", baseline="top"))
            continue
        if a.xref == "paper":
            x = plot[0] + (a.x or 0) * (plot[2] - plot[0])
        elif a.xref and a.xref.endswith(" domain"):  # e.g. add_hline's annotation: a fraction of the axes' width
            ax = axes.get((a.xref.removesuffix(" domain"), (a.yref or "y").removesuffix(" domain")), main)
            x = ax.box[0] + (a.x or 0) * (ax.box[2] - ax.box[0])
        else:
            ax = axes.get((a.xref or "x", a.yref or "y"), main)
            x = ax.x(a.x) if isinstance(a.x, (int, float)) else plot[0]
        if a.yref == "paper":
            y = plot[3] - (a.y or 0) * (plot[3] - plot[1])
        elif isinstance(a.y, (int, float)):
            y = main.y(a.y)
        else:
            y = _category_y(funnel, a.y, plot)
        x += a.xshift or 0
        anchor = {"left": "start", "right": "end", "center": "middle"}.get(a.xanchor or "center", "middle")
        if a.xanchor is None and a.xref == "paper":
            anchor = "middle"
        size = a.font.size if a.font and a.font.size else BASE_FONT_SIZE - 1
        colour = a.font.color if a.font and a.font.color else TEXT_COLOUR
        bold = "bold" if "<b>" in str(a.text) else "normal"
        out.append(_text(x, y, a.text, size=size, colour=colour, anchor=anchor, weight=bold))
    out += _legend(fig, plot)
    # the title where plotly puts it (the template's x = 0.05 of the width), its lines from the top down
    title_size = layout.title.font.size or TITLE_FONT_SIZE
    out.append(
        _text(0.05 * width, TITLE_PAD + TITLE_LINE / 2, layout.title.text or name, size=title_size, baseline="top")
    )
    out.append("</svg>")
    return "\n".join(out)


def _colour(t) -> str:
    """A trace's colour: its line's, else its markers' (one colour), else dark grey."""
    return (
        (t.line.color if t.line and t.line.color else None)
        or (t.marker.color if isinstance(t.marker.color, str) else None)
        or "#444444"
    )


def _polyline(points: list[str], t) -> str:
    """A line through ``points`` ("x,y" pixels) in the trace's colour, width, dash and opacity."""
    dash = _DASH.get(t.line.dash or "", "")
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{_esc(_colour(t))}" '
        f'stroke-width="{t.line.width or 2}"'
        + (f' stroke-opacity="{t.opacity}"' if t.opacity is not None else "")
        + (f' stroke-dasharray="{dash}"' if dash else "")
        + "/>"
    )


#: A legend key's width, the gap after it and the gap between entries (pixels), and a row's height.
KEY, KEY_GAP, ENTRY_GAP, LEGEND_LINE = 30, 6, 18, 22


def _legend(fig: _View, plot: tuple[float, float, float, float]) -> list[str]:
    """The legend plotly draws, as rows of entries right-aligned above the plot, the last row just above it: for
    each trace in the legend its key (a stretch of its line, its marker, or a swatch of its bars) and its name.
    Shown as plotly shows it: when the layout says so, else when two traces or more are in the legend or one is
    put there explicitly."""
    layout = fig.layout
    entries = [t for t in fig.data if t.name and t.showlegend is not False]
    shown = layout.showlegend
    if shown is None:
        shown = len(entries) > 1 or any(t.showlegend for t in entries)
    if not shown or not entries:
        return []
    size = layout.legend.font.size or BASE_FONT_SIZE - 1
    rows: list[list[tuple[Any, float]]] = [[]]  # (trace, entry width)
    for t in entries:
        entry = KEY + KEY_GAP + text_width(" ".join(_lines(t.name)), size)
        if rows[-1] and sum(w for _, w in rows[-1]) + ENTRY_GAP * len(rows[-1]) + entry > plot[2] - plot[0]:
            rows.append([])
        rows[-1].append((t, entry))
    out = []
    for i, row in enumerate(rows):
        y = plot[1] - 12 - (len(rows) - 1 - i) * LEGEND_LINE
        x = plot[2] - sum(w for _, w in row) - ENTRY_GAP * (len(row) - 1)
        for t, entry in row:
            out += _key(t, x, y)
            out.append(_text(x + KEY + KEY_GAP, y, " ".join(_lines(t.name)), size=size))
            x += entry + ENTRY_GAP
    return out


def _key(t, x: float, y: float) -> list[str]:
    """A trace's legend key, ``KEY`` pixels wide from ``x``, centred on ``y``."""
    if t.type in ("bar", "funnel"):
        return [f'<rect x="{x + 8:.1f}" y="{y - 7:.1f}" width="14" height="14" fill="{_esc(_colour(t))}"/>']
    mode = t.mode or "lines+markers"
    out = [_polyline([f"{x:.1f},{y:.1f}", f"{x + KEY:.1f},{y:.1f}"], t)] if "lines" in mode else []
    if "markers" in mode:
        size = t.marker.size[0] if isinstance(t.marker.size, (list, tuple)) else t.marker.size or 8
        symbol = t.marker.symbol[0] if isinstance(t.marker.symbol, (list, tuple)) else t.marker.symbol or "circle"
        out.append(_marker(x + KEY / 2, y, min(float(size), 14.0), str(symbol), _colour(t)))
    return out


def _nice_step(span: float) -> float:
    raw = (abs(span) or 1.0) / 5  # a reversed axis (range high to low) has a negative span
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _marker(x: float, y: float, size: float, symbol: str, colour: str) -> str:
    r = size / 2
    fill = "none" if symbol.endswith("-open") else _esc(colour)
    base = symbol.removesuffix("-open")
    if base == "line-ns":  # a vertical tick (the safety timeline's scheduled visits)
        return f'<line x1="{x:.1f}" y1="{y - r:.1f}" x2="{x:.1f}" y2="{y + r:.1f}" stroke="{_esc(colour)}" stroke-width="2"/>'

    if base == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{size:.1f}" height="{size:.1f}" fill="{fill}" stroke="{_esc(colour)}"/>'
    if base in (
        "diamond",
        "triangle-up",
        "triangle-down",
        "x",
        "cross",
        "star",
        "hexagon",
        "pentagon",
        "triangle-left",
    ):
        shapes = {
            "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
            "triangle-up": [(0, -1.2), (1.1, 0.8), (-1.1, 0.8)],
            "triangle-down": [(0, 1.2), (1.1, -0.8), (-1.1, -0.8)],
            "triangle-left": [(-1.2, 0), (0.8, -1.1), (0.8, 1.1)],
            "hexagon": [(math.cos(a) * 1.1, math.sin(a) * 1.1) for a in (k * math.pi / 3 for k in range(6))],
            "pentagon": [(math.sin(a) * 1.1, -math.cos(a) * 1.1) for a in (k * 2 * math.pi / 5 for k in range(5))],
            "star": [
                (math.sin(a) * (1.3 if k % 2 == 0 else 0.55), -math.cos(a) * (1.3 if k % 2 == 0 else 0.55))
                for k, a in enumerate(k * math.pi / 5 for k in range(10))
            ],
        }
        if base in ("x", "cross"):
            d = (
                f"M{x - r},{y - r} L{x + r},{y + r} M{x - r},{y + r} L{x + r},{y - r}"
                if base == "x"
                else f"M{x - r},{y} L{x + r},{y} M{x},{y - r} L{x},{y + r}"
            )
            return f'<path d="{d}" stroke="{_esc(colour)}" stroke-width="3"/>'
        points = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in shapes[base])
        return f'<polygon points="{points}" fill="{fill}" stroke="{_esc(colour)}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" stroke="{_esc(colour)}"/>'


def _y_ticks(ax: _Axes, categories: list[str] | None) -> list[tuple[float, str]]:
    """(pixel y, label) of a y axis's ticks: every category, or round numbers across the range."""
    if categories is not None:
        return [(ax.y(float(i)), label) for i, label in enumerate(categories)]
    low, high = ax.yr
    step = _nice_step(high - low)
    ticks, v = [], math.ceil(low / step) * step
    while v <= high + 1e-9:
        ticks.append((ax.y(v), f"{v:g}".replace("-", "−")))
        v += step
    return ticks


def _bars(trace, ax: _Axes, xs: list[float | None], ys: list[float | None]) -> list[str]:
    """Vertical bars from 0 to each value, the trace's ``width`` (x units) or 60 % of a category wide, with the
    trace's text at the bar's end."""
    colour = trace.marker.color if isinstance(trace.marker.color, str) else "#0072B2"
    texts = list(trace.text) if trace.text is not None and not isinstance(trace.text, str) else [None] * len(xs)
    half = (0.5 * trace.width if isinstance(trace.width, (int, float)) else 0.3) * abs(ax.x(1.0) - ax.x(0.0))
    out = []
    for x, y, label in zip(xs, ys, texts):
        if x is None or y is None:
            continue
        top, bottom = sorted((ax.y(y), ax.y(0.0)))
        out.append(
            f'<rect x="{ax.x(x) - half:.1f}" y="{top:.1f}" width="{2 * half:.1f}" height="{bottom - top:.1f}" '
            f'fill="{_esc(colour)}"/>'
        )
        if label is not None:  # outside the bar's end, the lines centred there
            size, lines = BASE_FONT_SIZE - 2, len(_lines(label))
            offset = 8 + 0.6 * size * lines
            out.append(
                _text(ax.x(x), ax.y(y) - offset if y >= 0 else ax.y(y) + offset, label, size=size, anchor="middle")
            )
    return out


def _category_y(funnel: list, label: object, plot: tuple[float, float, float, float]) -> float:
    labels = list(funnel[0].y) if funnel else []
    if label not in labels:
        return plot[1]
    band = (plot[3] - plot[1]) / len(labels)
    return plot[1] + (labels.index(label) + 0.5) * band


#: The font size of a funnel's step labels.
FUNNEL_LABEL_SIZE = BASE_FONT_SIZE - 2


def _funnel(trace, plot: tuple[float, float, float, float]) -> list[str]:
    """A funnel as centred horizontal bars in the left 42 % of the plot, step labels left of it."""
    labels, values = list(trace.y), _num(trace.x)
    if not labels:
        return []
    width = 0.42 * (plot[2] - plot[0])
    centre = plot[0] + width / 2 + 0.0
    band = (plot[3] - plot[1]) / len(labels)
    top = max(v or 0 for v in values) or 1
    colour = trace.marker.color if isinstance(trace.marker.color, str) else "#0072B2"
    out = []
    for i, (label, value) in enumerate(zip(labels, values)):
        w = (value or 0) / top * width
        y = plot[1] + i * band
        out.append(
            f'<rect x="{centre - w / 2:.1f}" y="{y + band * 0.15:.1f}" width="{w:.1f}" height="{band * 0.7:.1f}" '
            f'fill="{_esc(colour)}"/>'
        )
        out.append(
            _text(
                centre,
                y + band / 2,
                f"{value:g}" if value is not None else "—",
                colour="white",
                anchor="middle",
                size=BASE_FONT_SIZE - 1,
                weight="bold",
            )
        )
        out.append(_text(plot[0] - 8, y + band / 2, label, anchor="end", size=FUNNEL_LABEL_SIZE))
    return out
