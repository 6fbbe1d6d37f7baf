"""Per-patient timeline of adverse events against the visit schedule: one row per patient, the visits as
grey ticks, each event a marker at its onset month coloured by CTCAE grade (1 light to 5 dark), serious
events drawn as large diamonds with a black edge, the term written beside each marker. Patient ids, visit labels
and terms are drawn through ``inert_plotly`` (relatedness is one of ``RELATEDNESS``).

A study above ``medpath.scale.SUMMARY_ABOVE`` patients would need 70 px a row (350,000 px at 5,000 patients): its
Safety page draws instead the events by term and grade (``term_grade_figure``, a bar per term, whatever the study's
size) and the timeline of one patient at a time (``patient_timeline_figure``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from medpath.adverse_events import grade_name
from medpath.figures.style import BASE_FONT_SIZE, one_go_figure, title_layout
from medpath.inert import inert_plotly

#: CTCAE grade colours: a sequential ramp from yellow to near-black (light = mild, dark = severe), apart in lightness
#: so that grades stay distinct for colour-blind readers and in greyscale.
GRADE_COLOURS = {1: "#F2C14E", 2: "#E07A10", 3: "#C8102E", 4: "#7A0019", 5: "#111111", None: "#999999"}


def _by_grade(frame: pd.DataFrame) -> Iterator[tuple[int | None, pd.DataFrame]]:
    """The rows of each CTCAE grade, 1 to 5 and then the ungraded (None), in the legend's order; a grade without a
    row is skipped."""
    grades = frame["grade"].astype("float64").fillna(0).to_numpy()  # 0 = not graded, below grade 1
    for grade in (1, 2, 3, 4, 5, None):
        part = frame[grades == (grade or 0)]
        if len(part):
            yield grade, part


def timeline_rows(adverse_events: pd.DataFrame, patients: list[str]) -> list[str]:
    """The timeline's rows: ``patients`` first, then any other patient with an event, each once."""
    return list(dict.fromkeys([*patients, *adverse_events["patient_id"].tolist()]))


def timeline_figure(
    adverse_events: pd.DataFrame,
    visits: pd.DataFrame,
    patients: list[str],
    title: str = "Adverse events by onset, against each patient's visits",
    event: str = "",
) -> go.Figure:
    """Events with an onset month, on the patients' rows (``timeline_rows``)."""
    events = adverse_events[adverse_events["onset_month"].notna()].copy()
    # events of one patient in the same month are spread sideways, so that their markers and terms do not overlap
    same = events.groupby(["patient_id", "onset_month"]).cumcount()
    events["x"] = events["onset_month"] + 0.35 * same
    events["where"] = ["top right" if k % 2 == 0 else "bottom right" for k in same]
    rows = timeline_rows(events, patients)
    shown = {pid: inert_plotly(pid) for pid in rows}  # the rows' names as plotly draws them
    schedule = visits[visits["patient_id"].isin(rows)]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": schedule["month"].tolist(),
            "y": schedule["patient_id"].map(shown).tolist(),
            "mode": "markers",
            "name": "visit",
            "marker": {"symbol": "line-ns-open", "size": 22, "color": "#9A9A9A", "line": {"width": 2}},
            "customdata": schedule["visit"].map(inert_plotly).tolist(),
            "hovertemplate": "%{y}: %{customdata}<extra></extra>",
        }
    ]
    for grade, part in _by_grade(events):
        serious = part["serious"].eq(True).fillna(False).to_numpy()
        name = grade_name(grade)
        traces.append(
            {
                "type": "scatter",
                "x": part["x"].tolist(),
                "y": part["patient_id"].map(shown).tolist(),
                "mode": "markers+text",
                "name": name,
                "text": [
                    inert_plotly(t) + (" (serious)" if s else "")
                    for t, s in zip(part["term"].fillna("(no term)"), serious)
                ],
                "textposition": part["where"].tolist(),
                "textfont": {"size": BASE_FONT_SIZE - 2},
                "marker": {
                    "color": GRADE_COLOURS[grade],
                    "size": [20 if s else 13 for s in serious],
                    "symbol": ["diamond" if s else "circle" for s in serious],
                    "line": {
                        "color": ["#000000" if s else "#FFFFFF" for s in serious],
                        "width": [2.5 if s else 1 for s in serious],
                    },
                },
                "customdata": list(
                    zip(part["relatedness"].fillna("not assessed"), ["yes" if s else "no" for s in serious])
                ),
                "hovertemplate": "%{y}: %{text}<br>"
                + name
                + ", %{customdata[0]}, serious %{customdata[1]}<extra></extra>",
            }
        )
    last = max([*schedule["month"].tolist(), *events["onset_month"].tolist(), 6.0])
    layout = {
        "title": {"text": title},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "xaxes": {
            "xaxis": {
                "title": "Months since baseline" + (f" ({event})" if event else ""),
                "range": [-0.4, last + 1.2],
                "dtick": 1,
            }
        },
        "yaxes": {
            "yaxis": {
                "title": "",
                "categoryorder": "array",
                "categoryarray": [shown[r] for r in reversed(rows)],
                "type": "category",
            }
        },
    }
    return one_go_figure(traces, layout, height=max(320, 70 * len(rows) + 170))


def patient_timeline_figure(
    adverse_events: pd.DataFrame, visits: pd.DataFrame, patient: str, event: str = ""
) -> go.Figure:
    """``timeline_figure`` of one patient: their events against their visits."""
    own = adverse_events[adverse_events["patient_id"] == patient]
    title = f"Adverse events of patient {inert_plotly(patient)} by onset, against the visits"
    return timeline_figure(own, visits, [patient], title=title, event=event)


def _count(n: int, word: str) -> str:
    """ "1 patient", "3 patients"."""
    return f"{n} {word}{'s' if n != 1 else ''}"


#: A bar's height in the term chart (pixels): room for a term in the axis font.
TERM_ROW = 34


def term_grade_figure(table: pd.DataFrame) -> go.Figure:
    """Horizontal bars of ``medpath.ae_groups.term_grade_table``: one bar per term (the most frequent at the top,
    "other terms" last), its length the patients with the term, stacked by their worst grade of it in the grade
    colours, and the patients and events written at its end. A bar per term and grade, whatever the study's size."""
    terms = list(dict.fromkeys(table["term"].tolist()))
    shown = {t: inert_plotly(t if len(t) <= 40 else t[:39] + "…") for t in terms}  # tick labels fit at 1280 px
    traces: list[dict[str, Any]] = []
    for grade, part in _by_grade(table):
        name = grade_name(grade)
        traces.append(
            {
                "type": "bar",
                "x": part["patients"].tolist(),
                "y": part["term"].map(shown).tolist(),
                "orientation": "h",
                "name": name,
                "marker": {"color": GRADE_COLOURS[grade], "line": {"color": "#FFFFFF", "width": 1}},
                "customdata": part["events"].tolist(),
                "hovertemplate": "%{y}: %{x} patient(s) at worst "
                + name
                + ", %{customdata} event(s) of "
                + name
                + "<extra></extra>",
            }
        )
    totals = table.groupby("term", sort=False)[["patients", "events"]].sum().reindex(terms)
    traces.append(  # each bar's totals written at its end
        {
            "type": "scatter",
            "x": totals["patients"].tolist(),
            "y": [shown[t] for t in terms],
            "mode": "text",
            "text": [
                f"  {_count(p, 'patient')} ({_count(e, 'event')})" for p, e in zip(totals["patients"], totals["events"])
            ],
            "textposition": "middle right",
            "textfont": {"size": BASE_FONT_SIZE - 2},
            "showlegend": False,
            "hoverinfo": "skip",
            "cliponaxis": False,
        }
    )
    title = "Adverse events by term: patients at their worst CTCAE grade of it (events in brackets)"
    largest = max(totals["patients"].tolist(), default=1)
    heading = title_layout(title, legend=True)  # wrapped: the whole title shows at 1280 px and in the export
    layout = {
        **heading,
        "barmode": "stack",
        "legend": {
            "orientation": "h",
            "y": 1.0,
            "yanchor": "bottom",
            "x": 1,
            "xanchor": "right",
            "traceorder": "normal",
        },
        "margin": {**heading["margin"], "r": 40},
        "xaxes": {"xaxis": {"title": "Patients with the event", "range": [0, 1.35 * largest], "rangemode": "tozero"}},
        "yaxes": {
            "yaxis": {
                "title": "",
                "type": "category",
                "categoryorder": "array",
                "categoryarray": [shown[t] for t in reversed(terms)],
                "automargin": True,
            }
        },
    }
    return one_go_figure(traces, layout, height=max(320, TERM_ROW * len(terms) + 200))
