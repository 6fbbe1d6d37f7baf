"""Shared look of every MedPath chart: fonts, white background, one colour per patient.

Patient colours come from Okabe & Ito's colour-blind-safe palette ("Color Universal Design",
2008), extended with plotly's "Safe" qualitative palette when a study has more patients.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
from plotly.colors import qualitative  # not plotly.express, whose import costs about 0.5 s

# Okabe-Ito without its yellow (#F0E442), which is too faint on the white background.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000")
PALETTE = OKABE_ITO + tuple(qualitative.Safe)
FONT_FAMILY = "Arial, Helvetica, sans-serif"
BASE_FONT_SIZE = 15
TEXT_COLOUR = "#222222"  # near-black: axis text stays legible when projected


def patient_colours(patient_ids: Iterable[str]) -> dict[str, str]:
    """Map each patient id (sorted, so the mapping is the same on every page) to a colour."""
    ids = sorted(dict.fromkeys(str(p) for p in patient_ids))
    return {pid: PALETTE[i % len(PALETTE)] for i, pid in enumerate(ids)}


def apply_layout(fig: go.Figure, title: str, *, height: int = 480) -> go.Figure:
    """White background, legible fonts (>= 12 px everywhere) and a title stating the content."""
    fig.update_layout(
        title={"text": title, "font": {"size": BASE_FONT_SIZE + 4}},
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": TEXT_COLOUR},
        legend={"font": {"size": BASE_FONT_SIZE - 1}},
        hoverlabel={"font": {"size": BASE_FONT_SIZE - 1}},
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
    )
    axis = {"title_font": {"size": BASE_FONT_SIZE, "color": TEXT_COLOUR},
            "tickfont": {"size": BASE_FONT_SIZE - 1, "color": TEXT_COLOUR}, "linecolor": "#888888", "showline": True}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig
