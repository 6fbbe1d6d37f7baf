"""What the pages draw with: text from the data made inert, the page header and its banner, tables, charts and
downloads. Generated files (report, slides, tables) are built only when their button is clicked and removed from
Streamlit's media store within ``DOWNLOAD_LIFETIME`` seconds (``expire_downloads``)."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from collections.abc import Callable
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from medpath.export import chart_config, chart_filename, stamped, to_csv_bytes
from medpath.figures.style import FIGURE_HEIGHT
from medpath.figures.summary_views import before_after_view
from medpath.figures.svg import can_draw, figure_svg
from medpath.formatting import number_cells
from medpath.inert import inert_markdown, reveal_controls
from medpath.model import Study
from medpath.outcomes import (
    OutcomeComparison,
    details_table,
    headline,
    per_patient_changes,
    plain_language,
    summary_table,
)
from medpath.report import build_report, report_filename
from medpath.scale import summary_first
from medpath.wording import plain_sentence
from pages.session import address_note, built_once, chosen_patients, current_analysis, current_protocol

#: A generated download is removed from the media store at most twice this many seconds after it was made.
DOWNLOAD_LIFETIME = 10.0


# ------------------------------------------------------------------------------------ text from data


def literal(text: object) -> str:
    """Text from the data (file names, sheet names, patient ids, labels, values) for whatever Streamlit renders as
    Markdown: ``st.markdown``, captions and alerts, but also widget labels and ``help``, radio options, expander
    labels and ``st.table`` cells (links and images work in all of them): no link, image, emphasis, HTML, heading or
    list, and bidirectional or invisible control characters shown as ⟨U+…⟩ (``medpath.inert``)."""
    return inert_markdown(text)


def plain(text: object) -> str:
    """Text from the data for places that show it as plain text: grid cells (``st.dataframe``) and the options of
    ``st.selectbox`` and ``st.multiselect`` (Streamlit 1.67 draws those as text; its radio options are Markdown):
    invisible and bidirectional control characters shown as ⟨U+…⟩."""
    return reveal_controls(text)


def awaiting_upload(study: Study) -> bool:
    """Whether nothing is uploaded yet, for a protocol without a sample (``medpath.study.no_study_yet``): the header
    says where to upload, and a page has nothing else to show."""
    return not study.sources and not study.synthetic


def header(title: str, study: Study, *, compact: bool = False, upload_hint: bool = True) -> None:
    """Page title plus a banner saying which data is shown (the sample is always labelled); ``compact``:
    the sample's banner as one short line; ``upload_hint``: say where to upload (not on the Data page itself)."""
    st.title(title)
    if note := address_note():
        st.caption(literal(note))
    elsewhere = upload_hint
    if study.synthetic and compact:
        st.caption(f":orange-badge[SYNTHETIC] {literal(study.label)} — upload your own study on the **Data** page.")
    elif study.synthetic:
        st.info(
            f"**{literal(study.label)}.**" + (" Upload your own study on the **Data** page." if elsewhere else ""),
            icon=":material/science:",
        )
    elif awaiting_upload(study):
        st.info(f"**{literal(study.label)}.** Upload the study's files on the **Data** page.", icon=":material/upload:")
    else:
        errors = len(study.errors)
        note = f" — {errors} error finding(s)" + (", see the **Data** page" if elsewhere else "") if errors else ""
        st.caption(
            f"Data: {literal(study.label)}{note}. Your files live only in this browser tab: refreshing or "
            "closing the tab clears them (upload them again on the **Data** page)."
        )


_LABELS = {"patient_id": "Patient", "followup": "Follow-up", "band": "Class", "percent_change": "Change (%)"}


def _column_labels(columns) -> dict[str, str]:
    """Each column's name as a table heads it: the outcome's axis title ("Spine BMD T-score"), a label of ``_LABELS``,
    else the name in words ("source_row": "Source row"); the protocol looked up once per table."""
    outcomes = current_protocol().outcomes
    return {
        name: _LABELS.get(name)
        or (outcomes[name].axis_title if name in outcomes else name.replace("_", " ").capitalize())
        for name in columns
    }


def _missing_as_dash(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as "—", never "None": a column with no value at all is dropped, a float column
    with gaps becomes text (3 significant digits), text columns get "—" for None. The gaps are found in one pass
    over the frame; a column without one is left as it is."""
    missing = frame.isna()
    gaps = missing.any()
    if len(frame):
        frame = frame.drop(columns=[c for c, empty in missing.all().items() if empty])
    for c in frame.columns:
        if not gaps[c]:
            continue
        column = frame[c]
        if pd.api.types.is_float_dtype(column):
            frame[c] = ["—" if pd.isna(v) else f"{v:.3g}".replace("-", "−") for v in column.tolist()]
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            frame[c] = [
                "—" if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v
                for v in column.astype(object).tolist()
            ]
    return frame


def inert_cells(frame: pd.DataFrame, inert: Callable[[object], str] = plain) -> pd.DataFrame:
    """The frame with every text cell passed through ``inert``: ``plain`` for a grid (a bidirectional control in an
    id would otherwise reorder the cell as the grid draws it), ``literal`` for ``st.table``, which renders each cell
    as Markdown. Each distinct text is made inert once (a column of 20,000 cells holds a few hundred texts), and only
    a column with a text that changes is rewritten (ids and labels typed as plain text are left as they are)."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    changed: dict[object, dict[str, str]] = {}
    for c in text:
        made = {v: inert(v) for v in {v for v in frame[c].tolist() if isinstance(v, str)}}  # only texts are hashed
        if any(v != shown for v, shown in made.items()):
            changed[c] = made
    if not changed:
        return frame
    frame = frame.copy()
    for c, made in changed.items():
        frame[c] = [made[v] if isinstance(v, str) else v for v in frame[c].tolist()]
    return frame


def table(frame: pd.DataFrame, **column_config) -> None:
    """A table with readable column names, floats to 3 significant digits, and no inner scrolling for
    short tables (screenshots show every row)."""
    frame = _missing_as_dash(frame)
    labels = _column_labels(frame.columns)
    config = {
        c: st.column_config.NumberColumn(labels[c], format="%.3g")
        if pd.api.types.is_float_dtype(frame[c])
        else labels[c]
        for c in frame.columns
    }
    st.dataframe(
        inert_cells(frame),
        hide_index=True,
        width="stretch",
        height="content" if len(frame) <= 40 else "auto",
        column_config=config | column_config,
    )


#: The rows of a long table sent to the browser at once; the others are a page away (and all in the table's download).
PAGE_ROWS = 500


def paged_table(
    frame: pd.DataFrame,
    key: str,
    what: str = "rows",
    cells: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    columns: dict | None = None,
) -> None:
    """``table`` for a table of a row per candidate, patient, visit or event, which grows with the study: up to
    ``PAGE_ROWS`` rows whole (the pilot's tables are unchanged); longer, ``PAGE_ROWS`` rows at a time with a page box
    above them and the rows shown named below it (a grid of 20,000 rows costs the browser a second to receive and lay
    out, on every view of the page; issue 28). ``key``: the page box's; ``cells``: how the rows' cells are written
    (``formatting.number_cells``, cell by cell), applied to the rows shown only; ``columns``: ``table``'s column
    settings."""
    rows = frame
    if len(frame) > PAGE_ROWS:
        pages = -(-len(frame) // PAGE_ROWS)
        if not 1 <= st.session_state.get(key, 1) <= pages:  # a page of another (longer) study's table
            st.session_state[key] = 1
        page = int(st.number_input(f"Page (of {pages:,}, {PAGE_ROWS:,} {what} each)", 1, pages, 1, key=key))
        start = (page - 1) * PAGE_ROWS
        st.caption(f"{what.capitalize()} {start + 1:,}–{min(start + PAGE_ROWS, len(frame)):,} of {len(frame):,}.")
        rows = frame.iloc[start : start + PAGE_ROWS]
    table(cells(rows) if cells else rows, **(columns or {}))


def text_table(frame: pd.DataFrame) -> None:
    """A static table whose long texts wrap (findings' messages stay readable at 1280 px), with the same
    readable column names and dashes for missing values as ``table``; ``st.table`` renders its cells as Markdown,
    so every text cell goes through ``literal``."""
    frame = inert_cells(_missing_as_dash(frame), literal)
    frame = frame.rename(columns=_column_labels(frame.columns))
    st.table(frame.set_index(frame.columns[0]))


def chart_title(fig: go.Figure, name: str) -> str:
    """The chart's title as plain text (plotly's pseudo-HTML line breaks, tags and entities removed)."""
    text = re.sub(r"<br\s*/?>", " ", str(fig.layout.title.text or ""), flags=re.IGNORECASE)
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())
    return text or name.replace("_", " ").capitalize()


def chart(
    fig: go.Figure | Callable[[], go.Figure],
    study: Study,
    name: str,
    data: pd.DataFrame | None = None,
    *,
    svg: Callable[[], str] | None = None,
    width: Literal["stretch", "content"] = "stretch",
    config: dict | Callable[[go.Figure], dict] | None = None,
    key: tuple | None = None,
) -> None:
    """A plotly chart with the provenance footer inside it, whose camera button saves a PNG at twice the export
    size (1600 px wide; a tall chart at its own height), named after the study, chart and date whatever the window
    (``config``: another camera setting, or a function of the figure that makes it); under it
    its title as a caption (the chart's name for a screen reader, which cannot read the plotly canvas) beside a
    "Download SVG" button (the static SVG with the footer, ``figure_svg``, or ``svg()``, built only when
    clicked, named like the PNG; none where the static SVG cannot draw the chart: ``medpath.figures.svg.can_draw``) and, when
    ``data`` is given, the numbers drawn as a table one click away. ``fig`` may be its builder, with ``key`` (what
    besides the study and ``name`` the chart depends on): the chart, with its footer, is then built once per study
    and key (``session.built_once``)."""
    build = fig if callable(fig) else lambda: fig
    if key is None:
        fig = build()
        shown = stamped(fig, study)
    else:  # built only to be shown: the footer is written into it (a copy would validate it all again)
        shown = built_once(study, (name, *key, dt.date.today()), lambda: stamped(build(), study, copy=False))
        fig = shown
    title = chart_title(fig, name)
    if callable(config):  # a setting made from the figure (its size)
        config = config(fig)
    st.plotly_chart(shown, width=width, config=config or chart_config(study, name, figure=fig))
    name_column, button_column = st.columns([3, 2], vertical_alignment="center", gap="small")
    name_column.caption(f"Chart: {literal(title)}")
    with button_column:
        if svg is not None or can_draw(fig):
            generated_download(
                "Download SVG",
                lambda: (svg() if svg is not None else figure_svg(shown, title)).encode("utf-8"),
                file_name=f"{chart_filename(study, name)}.svg",
                mime="image/svg+xml",
                key=f"download-svg-{name}",
                type="tertiary",
                icon=":material/download:",
                help="A vector picture of this chart (for a paper, a poster or slides); the camera button above "
                "the chart saves a PNG 1600 px wide.",
            )
    if data is None:
        return
    on_request = summary_first(len(study.patient_ids))  # a larger study's: a row per patient behind a summary chart
    with st.expander(
        f"Data of this chart (table): {literal(title)}",
        key=f"chart-data-open-{name}" if on_request else None,
        on_change="rerun" if on_request else "ignore",
    ) as numbers:
        if not on_request or numbers.open:  # on request: made when the reader opens them
            paged_table(data, f"chart-data-page-{name}")


#: plotly layout changes for a chart in half the page's width: a smaller title, so that it shows whole at 1280 px (the
#: right margin and the height stay the figure's own: they are sized for its longest patient label)
HALF_WIDTH = {"title_font_size": 15}


def before_after_chart(
    comparison: OutcomeComparison,
    study: Study,
    name: str,
    layout: dict | None = None,
    height: int = FIGURE_HEIGHT,
) -> None:
    """The before-after plot of one comparison (every patient of the study on its axis), its per-patient changes
    as its data (``chart``); ``layout``: plotly layout changes (``HALF_WIDTH`` in a half-width column). A study of
    more than ``medpath.scale.SUMMARY_ABOVE`` patients gets the paired distribution instead (``paired_change_figure``:
    the two medians with their quartiles above the histogram of the changes)."""

    def build() -> go.Figure:
        fig = before_after_view(comparison, study.patient_ids, height)
        return fig.update_layout(**layout) if layout else fig

    settings = current_analysis(study).settings  # with the study and name, what the comparison is made of
    chart(build, study, name, data=comparison.changes, key=(settings, tuple(sorted((layout or {}).items())), height))


def result_table(comparison: OutcomeComparison) -> None:
    """The main results of one comparison (``summary_table``) under a "Result" heading, the value column as wide
    as the measure column so that each value (the median change with its range) shows whole in half the page."""
    st.markdown("**Result**")
    table(
        summary_table(comparison),
        measure=st.column_config.TextColumn("Measure", width="medium"),
        value=st.column_config.TextColumn("Value", width="medium"),
    )


def outcome_result(comparison: OutcomeComparison, study: Study, name: str) -> None:
    """One outcome's result as the Outcomes and Secondary outcomes pages show it: the plain sentence first
    (``wording.plain_sentence``), the before-after plot beside the results table and the per-patient changes (written
    by ``formatting.number_cells``, as the sentence writes them), and the statistical details one click away."""
    st.markdown(f"**{literal(plain_sentence(comparison))}**")
    left, right = st.columns(2, gap="large")  # the results table needs half the width to show its values whole
    with left:
        before_after_chart(comparison, study, f"{name}_before_after", HALF_WIDTH)
    with right:
        result_table(comparison)
        st.markdown("**Per-patient change**")
        paged_table(per_patient_changes(comparison), f"{name}-changes-page", "patients", cells=number_cells)
        table_download(comparison.changes, study, f"{name}_changes")
    with st.expander("Statistical details"):
        st.markdown(headline(comparison))
        table(details_table(comparison))
        st.markdown(
            "**What these numbers can and cannot show**\n\n"
            + "\n".join(f"- {literal(s)}" for s in plain_language(comparison))
        )


def expire_downloads(delay: float = DOWNLOAD_LIFETIME) -> None:
    """Remove generated files from Streamlit's media store soon after they were served.

    A file a deferred download button generates is referenced by no session, and Streamlit deletes
    such a file on the second orphan sweep after it was made; sweeps otherwise happen only when some
    script run ends or a session closes, so the file could stay (and its /media URL answer, to anyone)
    for as long as the server is idle. Two timed sweeps, ``delay`` seconds apart, bound its life to
    2 × ``delay`` seconds whatever the sessions do."""
    from streamlit import runtime

    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr

    def sweep(left: int) -> None:
        manager.remove_orphaned_files()
        if left > 1:
            _timer(delay, sweep, left - 1)

    _timer(delay, sweep, 2)


def _timer(delay: float, function: Callable[[int], None], left: int) -> None:
    timer = threading.Timer(delay, function, args=(left,))
    timer.daemon = True
    timer.start()


def generated_download(
    label: str, build: Callable[[], bytes], *, file_name: str, mime: str, key: str, **options
) -> None:
    """A download button whose file is built only when it is clicked (``build`` runs then, not on every
    run), served from memory and removed again by ``expire_downloads``; a click does not rerun the page."""

    def generate() -> bytes:
        data = build()
        expire_downloads()
        return data

    st.download_button(label, generate, file_name=file_name, mime=mime, on_click="ignore", key=key, **options)


def table_download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame], study: Study, name: str, label: str = "Download table (CSV)"
) -> None:
    """A CSV download of a table, built on click (``frame`` may be the table's builder: then the table too is made
    only when clicked); text cells are neutralised against formula injection."""
    generated_download(
        label,
        lambda: to_csv_bytes(frame() if callable(frame) else frame),
        file_name=f"{chart_filename(study, name)}.csv",
        mime="text/csv",
        key=f"download-{name}",
    )


def no_data(study: Study, what: str) -> bool:
    """Show a designed empty state when the study has no usable visits; True if so."""
    if len(study.visits):
        return False
    if awaiting_upload(study):
        return True
    st.warning(
        f"There is nothing to show for {what}: no usable visit rows were read. "
        "The **Data** page lists what was wrong with the files.",
        icon=":material/warning:",
    )
    return True


def report_download(study: Study) -> None:
    """One self-contained HTML report of everything shown, built only when the button is clicked, from the
    analysis in force on the pages (``current_analysis``) and the patients drawn."""
    analysis, patients = current_analysis(study), chosen_patients(study)
    generated_download(
        "Download report (HTML)",
        lambda: build_report(analysis, patients=patients).encode("utf-8"),
        file_name=report_filename(study),
        mime="text/html",
        type="primary",
        key="download-report",
    )


def downloads_row(study: Study) -> None:
    """The meeting downloads, side by side: the report (HTML), the slides (PowerPoint) and the results
    tables (Word), all following the choices in force."""
    from medpath.slides import build_deck, deck_filename
    from medpath.word_tables import word_tables, word_tables_filename

    analysis, patients = current_analysis(study), chosen_patients(study)
    columns = st.columns(3)
    with columns[0]:
        report_download(study)
    with columns[1]:
        aspect = st.radio(
            "Slide size", ["16:9", "4:3"], horizontal=True, key="slides-aspect", help="4:3 for a 1024 x 768 projector"
        )
        generated_download(
            "Download slides (PowerPoint)",
            lambda: build_deck(analysis, patients=patients, aspect=aspect),
            file_name=deck_filename(study),
            key="download-slides",
            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
    with columns[2]:
        paper = st.radio("Paper", ["A4", "Letter"], horizontal=True, key="tables-paper")
        generated_download(
            "Download results tables (Word)",
            lambda: word_tables(analysis, paper=paper),
            file_name=word_tables_filename(study),
            key="download-docx",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
