"""The floor of ``bench/page_settle.py``: a bare Streamlit app with MedPath's navigation and, page by page, the
same kinds and numbers of elements as the dashboard shows for its bundled 5-patient sample (titles, banners,
metrics, columns, tabs, expanders, selectboxes, the patient multiselect, radios, number inputs, download
buttons, plotly charts of the same heights, traces and annotations, tables of the same shapes), drawn from a
fixed synthetic 5-patient table. Nothing from ``medpath`` is imported or computed: what the dashboard takes
beyond this app is the cost of MedPath itself.

A larger study (``bench/page_scale.py``, issue 28): ``BARE_PATIENTS=N`` (default 5, the sample, where nothing below
changes) gives the size of the study the dashboard shows beside it. The app then keeps the same navigation, widgets and
numbers of charts and tables, and their content stays small and fixed, as a study of any size could be shown: every
chart and table that shows one mark or row per patient at 5 shows instead the study's median and quartiles by visit
(three rows per visit, drawn as three "patients"), computed from a synthetic table of N patients x 4 visits; the counts
it states (screened, enrolled, visit rows, events) are N's; the Trajectories picker offers all N patient ids with the
first 5 chosen (their own lines are drawn); the Data page shows one finding (the study has more patients than the
protocol's target, as the dashboard's does); the Eligibility and Safety pages take the layout of the dashboard's summary
views (the deviations counted by criterion with the list in an expander; the serious events as a table, the events by
term as bars with their table, one chosen patient's timeline, the listing a page at a time), as does the Data page (the
validated tables made when their expander is opened) and every chart (the numbers drawn made when their expander is
opened), so that both apps draw the same numbers of charts and tables there. The uploader takes the same file as the
dashboard's and reads nothing of it: the upload then shows the file's name, as the dashboard does. So the bare app is
the floor of a Streamlit page at that size: what the dashboard takes beyond it is what MedPath draws and computes per
patient.

``BARE_READ=1`` (``page_scale.py``'s third app, for the upload only): the uploader's callback also reads every sheet
of each workbook with ``pandas.read_excel(sheet_name=None, engine="calamine")`` (a CSV with ``pandas.read_csv``),
in the server's process, and the "Current study" line says how many rows it read. That is the least any app that
reads the workbook does: the floor of an upload that reads, not only receives, the file.

    streamlit run bench/bare_app.py                     # page_settle.py starts it from the app directory
    BARE_PATIENTS=1000 streamlit run bench/bare_app.py  # page_scale.py, at each size
    BARE_READ=1 BARE_PATIENTS=1000 streamlit run bench/bare_app.py  # page_scale.py's upload that reads
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

SIZE = int(os.environ.get("BARE_PATIENTS", "5"))  # patients of the study shown (page_scale.py); 5 = the sample
SAMPLE = SIZE <= 5
READS = os.environ.get("BARE_READ") == "1"  # the upload reads the workbook with pandas (page_scale.py)
PATIENTS = (
    ["MSC-01", "MSC-04", "MSC-08", "MSC-15", "MSC-23"] if SAMPLE else [f"MSC-{i:05d}" for i in range(1, SIZE + 1)]
)
CHOSEN = PATIENTS[:5]  # drawn one by one (all of the sample)
SUMMARY_ROWS = ("lower quartile", "median", "upper quartile")  # the "patients" drawn above 5 patients
FILE_KEY = "bare_uploaded"  # the name of the uploaded file (its content is not read)
VISITS = (("baseline", 0), ("month 1", 1), ("month 3", 3), ("month 6", 6))
OUTCOMES = {"bmd_tscore": "Spine BMD T-score", "vas": "VAS pain (0-10)"}
SECONDARY = {"bmd_g_cm2": "Spine BMD (g/cm²)", "rom_deg": "Range of motion (°)", "qol": "Quality of life"}
DIRECTIONS = {  # the labels of the dashboard's "Direction tested" (medpath.wording, copied)
    "two-sided": "Either direction (two-sided, default)",
    "expected": "Protocol direction (one-sided: BMD up, VAS down)",
    "greater": "Increase only (one-sided)",
    "less": "Decrease only (one-sided)",
}
ZERO_METHODS = {"wilcox": "Dropped (Wilcoxon)", "pratt": "Ranked, then dropped (Pratt)"}
CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "width": 1600, "height": 900, "scale": 1}}


@st.cache_data
def visits() -> pd.DataFrame:
    """The sample's 5 patients; above 5, a synthetic table of all ``SIZE`` patients x 4 visits (not drawn as such)."""
    if not SAMPLE:
        rng = np.random.default_rng(SIZE)
        n, months = SIZE, np.array([m for _, m in VISITS], dtype=float)
        first_tscore, first_vas = rng.uniform(-4.0, -2.5, n), rng.integers(3, 9, n)
        return pd.DataFrame(
            {
                "patient_id": np.repeat(PATIENTS, len(VISITS)),
                "visit": np.tile([label for label, _ in VISITS], n),
                "month": np.tile(months, n),
                "bmd_tscore": np.round(np.repeat(first_tscore, 4) + 0.05 * np.tile(months, n), 1),
                "vas": np.maximum(0, np.repeat(first_vas, 4) - np.tile(months, n) // 2),
                "bmd_g_cm2": np.round(0.7 + 0.004 * np.tile(months, n) + rng.normal(0, 0.01, 4 * n), 3),
                "rom_deg": 90 + 3 * np.tile(months, n),
                "qol": 50 + 2 * np.tile(months, n),
            }
        )
    rng = np.random.default_rng(17)
    rows = []
    for pid in PATIENTS:
        tscore, vas = rng.uniform(-4.0, -2.5), int(rng.integers(3, 9))
        for label, month in VISITS:
            if pid == "MSC-23" and month == 6:
                continue  # one missed visit, as the sample (19 visit rows)
            rows.append(
                {
                    "patient_id": pid,
                    "visit": label,
                    "month": float(month),
                    "bmd_tscore": round(tscore + 0.05 * month, 1),
                    "vas": float(max(0, vas - month // 2)),
                    "bmd_g_cm2": round(0.7 + 0.004 * month + rng.normal(0, 0.01), 3),
                    "rom_deg": float(90 + 3 * month),
                    "qol": float(50 + 2 * month),
                }
            )
    return pd.DataFrame(rows)


@st.cache_data
def drawn() -> pd.DataFrame:
    """What the per-patient charts and tables draw: the sample's patients; above 5 patients, the median and
    quartiles of every column by visit, as three rows per visit (small and fixed, whatever the size)."""
    frame = visits()
    if SAMPLE:
        return frame
    values = [c for c in frame.columns if c not in ("patient_id", "visit", "month")]
    rows = []
    for name, q in zip(SUMMARY_ROWS, (0.25, 0.5, 0.75)):
        by_visit = frame.groupby(["visit", "month"], sort=False)[values].quantile(q).reset_index()
        rows.append(by_visit.assign(patient_id=name))
    return pd.concat(rows, ignore_index=True)[list(frame.columns)]


def banner(title: str, compact: bool = False) -> None:
    st.title(title)
    if st.session_state.get(FILE_KEY):  # as the dashboard, once a study is uploaded
        st.caption(f"Data: {st.session_state[FILE_KEY]}. Your files live only in this browser tab.")
    elif compact:
        st.caption(":orange-badge[SYNTHETIC] Synthetic sample study — upload your own study on the **Data** page.")
    else:
        st.info("**Synthetic sample study.** Upload your own study on the **Data** page.", icon=":material/science:")


def table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", height="content")


def download(label: str, name: str, frame: pd.DataFrame | None = None, **options) -> None:
    data = (frame if frame is not None else drawn()).to_csv(index=False).encode()
    st.download_button(label, lambda: data, file_name=f"{name}.csv", mime="text/csv", on_click="ignore", **options)


def chart(fig: go.Figure, name: str, data: pd.DataFrame | None = None) -> None:
    """As the dashboard's ``pages.components.chart``: the chart, its title as a caption beside a "Download SVG"
    button (made on click) and, with ``data``, the numbers drawn in an expander (above the sample's size, made when
    it is opened)."""
    fig.add_annotation(text=f"Synthetic sample · {name}", xref="paper", yref="paper", x=0, y=-0.2, showarrow=False)
    st.plotly_chart(fig, width="stretch", config=CONFIG)
    name_column, button_column = st.columns([3, 2], vertical_alignment="center", gap="small")
    name_column.caption(f"Chart: {fig.layout.title.text or name}")
    with button_column:
        st.download_button(
            "Download SVG",
            lambda: fig.to_json().encode(),
            file_name=f"{name}.svg",
            mime="image/svg+xml",
            on_click="ignore",
            key=f"download-svg-{name}",
            type="tertiary",
            icon=":material/download:",
        )
    if data is None:
        return
    on_request = not SAMPLE  # as the dashboard above 30 patients: the numbers made when the expander is opened
    with st.expander(
        f"Data of this chart (table): {name}",
        key=f"data-open-{name}" if on_request else None,
        on_change="rerun" if on_request else "ignore",
    ) as numbers:
        if not on_request or numbers.open:
            table(data)


def before_after(outcome: str, label: str, height: int = 480) -> go.Figure:
    frame = drawn()
    wide = frame[frame["month"].isin([0, 6])].pivot(index="patient_id", columns="month", values=outcome).dropna()
    fig = go.Figure()
    for pid, row in wide.iterrows():
        fig.add_scatter(x=["Baseline", "Month 6"], y=list(row), mode="lines+markers", name=str(pid))
    for pid, row in wide.iterrows():
        fig.add_annotation(x="Month 6", y=row.iloc[-1], text=str(pid), showarrow=False, xanchor="left")
    fig.update_layout(title=f"{label}: baseline and month 6", height=height, showlegend=False)
    return fig


def spaghetti(outcome: str, patients: list[str], change: bool) -> go.Figure:
    frame = visits()
    fig = go.Figure()
    for y0, y1, colour in ((-5, -2.5, "#fde2e1"), (-2.5, -1, "#fff3cd"), (-1, 1, "#e2f0d9")):
        fig.add_hrect(y0=y0, y1=y1, fillcolor=colour, opacity=0.4, line_width=0)
    for pid in patients:
        rows = frame[frame["patient_id"] == pid]
        y = rows[outcome] - rows[outcome].iloc[0] if change else rows[outcome]
        fig.add_scatter(x=rows["month"], y=y, mode="lines+markers", name=pid)
    fig.add_scatter(x=[0, 6], y=[-2.5, -2.5], mode="lines", line_dash="dot", name="osteoporosis", showlegend=False)
    for i, text in enumerate(("osteoporosis", "osteopenia", "normal")):
        fig.add_annotation(text=text, xref="paper", yref="paper", x=1, y=0.2 + 0.3 * i, showarrow=False)
    fig.update_layout(title=f"{OUTCOMES.get(outcome, outcome)} by patient", height=480)
    return fig


def small_multiples(patients: list[str]) -> go.Figure:
    from plotly.subplots import make_subplots

    frame = visits()
    fig = make_subplots(rows=1, cols=max(1, len(patients)), subplot_titles=patients or [""])
    for i, pid in enumerate(patients, start=1):
        rows = frame[frame["patient_id"] == pid]
        fig.add_scatter(x=rows["month"], y=rows["bmd_tscore"], mode="lines+markers", row=1, col=i, showlegend=False)
        fig.add_scatter(x=rows["month"], y=rows["vas"] / 5 - 4, mode="lines+markers", row=1, col=i, showlegend=False)
    fig.update_layout(title="Each patient, both primary outcomes", height=600)
    return fig


def _pairs(outcome: str) -> pd.DataFrame:
    frame = drawn()
    return frame[frame["month"].isin([0, 6])].pivot(index="patient_id", columns="month", values=outcome).reset_index()


def overview() -> None:
    banner("MedPath — NCT04501354", compact=True)
    counts = st.columns([1, 1, 1, 3], vertical_alignment="center")
    counts[0].metric("Screened", 30 if SAMPLE else SIZE)
    counts[1].metric("Enrolled", SIZE)
    counts[2].metric("Completed", 4 if SAMPLE else SIZE, help="Completed 6 months")
    with counts[3]:
        st.badge("Data checked: no problems found", icon=":material/check_circle:", color="green")
    st.warning("One patient has no month-6 value.", icon=":material/help:")
    st.subheader("Primary results")
    for column, (outcome, label) in zip(st.columns(2, gap="large"), OUTCOMES.items()):
        with column:
            st.markdown(f"**{label}.** A plain sentence about the change from baseline to month 6.")
            fig = before_after(outcome, label, height=400)
            chart(fig, f"{outcome}_before_after_overview", _pairs(outcome))
    st.caption("A caveat. Statistical details: **Outcomes** page.")
    with st.expander("About the study"):
        st.markdown("**NCT04501354** · Phase 2 · single group · target n = 5")
    st.divider()
    downloads_row()


def downloads_row() -> None:
    columns = st.columns(3)
    with columns[0]:
        download("Download report (HTML)", "report", type="primary", key="download-report")
    with columns[1]:
        download("Download slides (PowerPoint)", "slides", key="download-slides")
    with columns[2]:
        download("Download results tables (Word)", "tables", key="download-docx")


def data() -> None:
    banner("Data")
    upload, template = st.columns([3, 1], gap="large")
    with upload:
        key = f"uploader_{st.session_state.get('generation', 0)}"
        st.file_uploader(
            "Upload the study's Excel workbook",
            type=["xlsx", "csv"],
            accept_multiple_files=True,
            help="Replaces",
            key=key,
            on_change=uploaded,
            args=(key,),
        )
        if st.session_state.get(FILE_KEY):
            st.markdown(f"**Current study:** {st.session_state[FILE_KEY]}")
            st.checkbox("Add the next upload to these files instead of replacing them", key="add_files")
            st.caption("Refreshing or closing this tab clears the upload.")
            st.button("Back to the sample study", on_click=lambda: st.session_state.pop(FILE_KEY, None))
    with template:
        st.markdown("**Template**")
        download("Download template.xlsx", "template")
    st.subheader("Findings")
    if SAMPLE:
        st.success("No problems found: every row is used.", icon=":material/check_circle:")
    else:  # as the dashboard: a study larger than the protocol's target of 5 is one warning
        st.warning("0 error(s) and 1 warning(s).", icon=":material/warning:")
        st.table(pd.DataFrame({"severity": ["warning"], "message": [f"{SIZE} patients are enrolled, target 5"]}))
    st.subheader("Columns")
    table(pd.DataFrame({"column": list(visits().columns), "read as": "number"}))
    st.subheader("Validated tables")
    download("Download validated tables and findings (XLSX)", "validated", key="download-validated")
    if SAMPLE:
        validated_tables()
    else:  # as the dashboard above 30 patients: the validated tables made when their expander is opened
        with st.expander(
            f"Browse the validated tables: {SIZE:,} candidate(s), {len(visits()):,} visit row(s)",
            icon=":material/table_view:",
            key="validated-open",
            on_change="rerun",
        ) as browse:
            if browse.open:
                validated_tables()


def validated_tables() -> None:
    screening_tab, visits_tab = st.tabs(["Screening", "Visits"])
    with screening_tab:
        st.caption(f"{30 if SAMPLE else SIZE} candidate(s).")
        table(screening())
    with visits_tab:
        st.caption(f"{len(visits())} visit row(s) of {SIZE} patient(s).")
        table(drawn())


@st.cache_data
def screening() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "patient_id": [f"C-{i:02d}" for i in range(30)],
            "sex": rng.choice(["F", "M"], 30),
            "age": rng.integers(45, 80, 30),
            **{f"criterion_{k}": rng.choice(["no", "yes"], 30) for k in range(14)},
        }
    )


def uploaded(key: str) -> None:
    """As the dashboard's uploader: the file's name is the study's (its content is not read; with ``BARE_READ=1``
    every sheet is read with pandas and the rows counted); the widget starts empty again."""
    files = st.session_state.get(key) or []
    if files:
        st.session_state[FILE_KEY] = ", ".join(f.name for f in files)
        if READS:
            st.session_state[FILE_KEY] += f" ({sum(rows_read(f.name, f.getvalue()) for f in files):,} rows read)"
        st.session_state["generation"] = st.session_state.get("generation", 0) + 1


def rows_read(name: str, data: bytes) -> int:
    """The data rows of every sheet of a workbook (or of a CSV file), read with pandas as a bare app would."""
    if name.lower().endswith(".csv"):
        return len(pd.read_csv(io.BytesIO(data)))
    return sum(len(frame) for frame in pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine").values())


def eligibility() -> None:
    banner("Eligibility")
    if not SAMPLE:  # as the dashboard above 30 patients: the deviations counted by criterion, the list one click away
        st.warning(f"{SIZE // 10} enrolled patient(s) do not meet every criterion.", icon=":material/warning:")
        table(pd.DataFrame({"label": [f"criterion {i}" for i in range(3)], "not_met": [SIZE // 10, 0, 0]}))
        with st.expander(f"Every protocol deviation, patient by patient ({SIZE // 10})"):
            table(pd.DataFrame({"patient_id": CHOSEN, "finding": "not met"}))
            download("Download table (CSV)", "protocol_deviations", key="download-deviations")
    diagram, funnel = st.tabs(["CONSORT 2025 flow diagram", "Sequential funnel"])
    with diagram:
        fig = go.Figure()
        for i in range(10):
            fig.add_shape(type="rect", x0=100, x1=400, y0=100 * i, y1=100 * i + 60, line_color="#333")
        for i in range(15):
            fig.add_annotation(x=250, y=100 * (i % 10) + 30, text=f"Box {i}: n = {30 - i}", showarrow=False)
        fig.update_layout(width=940, height=1043, xaxis_visible=False, yaxis_visible=False)
        st.plotly_chart(fig, width="content", config=CONFIG)
        download("Download the diagram (SVG)", "consort", key="download-consort-svg")
        stages = pd.DataFrame({"stage": [f"stage {i}" for i in range(6)], "n": range(30, 24, -1)})
        if SAMPLE:
            st.subheader("Study stages")
            table(stages)
        else:  # as the dashboard above 30 patients: the diagram's numbers made when their expander is opened
            with st.expander(
                "Data of this chart (table): consort", key="data-open-consort", on_change="rerun"
            ) as shown:
                if shown.open:
                    table(stages)
        download("Download table (CSV)", "stages", stages, key="download-stages")
    with funnel:
        st.caption("Each bar counts the candidates who passed that step and every earlier one.")
        fig = go.Figure(go.Funnel(y=[f"step {i}" for i in range(10)], x=list(range(30, 20, -1))))
        fig.update_layout(height=860)
        chart(
            fig, "eligibility_funnel", pd.DataFrame({"step": [f"step {i}" for i in range(10)], "n": range(30, 20, -1)})
        )
    st.subheader("Baseline characteristics of the enrolled patients (Table 1, n = 5)")
    table(pd.DataFrame({"characteristic": [f"c{i}" for i in range(8)], "summary": "1 (20%)", "values": "a, b"}))
    download("Download table (CSV)", "baseline", key="download-baseline")
    st.subheader("Eligibility criteria: candidates not meeting each")
    criteria = pd.DataFrame({"criterion": [f"criterion_{i}" for i in range(14)], "label": "A criterion", "n": 0})
    table(criteria)
    st.subheader("Candidates")
    chosen = st.multiselect("Show candidates who fail or are unknown on", list(criteria["criterion"]))
    frame = screening()
    table(frame[frame[chosen].eq("yes").any(axis=1)] if chosen else frame.iloc[:, :6])
    download("Download table (CSV)", "candidates", key="download-candidates")
    with st.expander("Conventions used at the boundaries", expanded=True):
        for i in range(4):
            st.markdown(f"- Convention {i}")


def trajectories() -> None:
    banner("Trajectories")
    controls = st.columns([2, 3, 2])
    outcome = controls[0].selectbox("Outcome", list(OUTCOMES), format_func=OUTCOMES.__getitem__, help="Outcome")
    with controls[1]:
        patients = st.multiselect("Patients", PATIENTS, default=CHOSEN, help="Patients")
    mode = controls[2].radio("Show", ["Values", "Change from baseline"], horizontal=True, help="Show")
    if not patients:
        st.info("Choose at least one patient.")
        st.stop()
    frame = visits()
    chart(spaghetti(outcome, patients, mode != "Values"), "by_patient", frame[frame["patient_id"].isin(patients)])
    st.subheader(f"{OUTCOMES[outcome]}: values by patient and visit")
    st.caption("Missed visits are empty cells here and dotted lines in the chart.")
    shown = (frame[frame["patient_id"].isin(patients)] if SAMPLE else drawn()).pivot(
        index="patient_id", columns="visit", values=outcome
    )
    table(shown.reset_index())
    download("Download table (CSV)", "values", shown, key="download-values")
    st.warning("Incomplete follow-up: MSC-23", icon=":material/warning:")
    st.subheader("WHO class: baseline (rows) → month 6 (columns), patients")
    st.dataframe(pd.DataFrame({"osteoporosis": [3, 1], "osteopenia": [0, 1]}, index=["osteoporosis", "osteopenia"]))
    st.subheader("VAS response at month 6")
    points, percent, _ = st.columns([1, 1, 2])
    min_points = points.number_input("Reduction of at least (points)", 0.5, 10.0, 2.0, step=0.5, help="Points")
    min_percent = percent.number_input("or at least (% of baseline)", 5.0, 100.0, 30.0, step=5.0, help="Percent")
    table(pd.DataFrame({"points": [min_points], "percent": [min_percent], "responders": [3]}))
    st.caption("A responder convention.")
    st.subheader("Each patient, both primary outcomes")
    chart(small_multiples(patients), "small_multiples", frame[frame["patient_id"].isin(patients)])


def outcomes() -> None:
    banner("Outcomes")
    controls = st.columns(3)
    controls[0].selectbox("Compare baseline with", ["Month 1", "Month 3", "Month 6"], index=2, help="Follow-up")
    direction = controls[1].selectbox(
        "Direction tested", list(DIRECTIONS), format_func=DIRECTIONS.__getitem__, help="Test"
    )
    controls[2].selectbox(
        "Patients with no change", list(ZERO_METHODS), format_func=ZERO_METHODS.__getitem__, help="Zeros"
    )
    if direction != "two-sided":
        st.caption("One-sided: a pre-specified one-sided test conventionally uses α = 0.025.")
    frame = drawn()
    for outcome, label in OUTCOMES.items():
        st.header(label)
        st.markdown(f"**A plain sentence about {label} ({direction}).**")
        left, right = st.columns([3, 2], gap="large")
        wide = frame[frame["month"].isin([0, 6])].pivot(index="patient_id", columns="month", values=outcome)
        with left:
            chart(before_after(outcome, label), f"{outcome}_before_after", wide.reset_index())
        with right:
            st.markdown("**Result**")
            table(pd.DataFrame({"measure": ["median change", "95% CI", "p"], "value": ["0.2", "0.1 to 0.4", "0.06"]}))
            st.markdown("**Per-patient change**")
            table(wide.reset_index())
            download("Download table (CSV)", f"{outcome}_changes", wide, key=f"download-{outcome}")
        with st.expander("Statistical details"):
            st.markdown("A headline.")
            table(pd.DataFrame({"term": [f"term {i}" for i in range(7)], "value": "1.0", "meaning": "Explained."}))
            st.markdown("**What these numbers can and cannot show**\n\n- One.\n- Two.")
    st.divider()
    downloads_row()


def secondary() -> None:
    banner("Secondary outcomes")
    st.warning("**Secondary, exploratory.** Baseline vs month 6.", icon=":material/science:")
    st.header("Spine BMD (g/cm²) against the least significant change")
    st.caption("LSC = 2.77 × precision error.")
    left, right = st.columns(2)
    left.radio("Enter", ["precision error", "LSC"], horizontal=True)
    lsc = 2.77 * right.number_input("Precision error (RMS-SD), g/cm²", 0.001, 0.1, 0.01, step=0.001, format="%.3f")
    frame = drawn()
    wide = frame[frame["month"].isin([0, 6])].pivot(index="patient_id", columns="month", values="bmd_g_cm2").dropna()
    change = (wide[6.0] - wide[0.0]).rename("change").reset_index()
    st.markdown(f"**LSC {lsc:.4f} g/cm²: gain 1, stable 3, loss 0** (of {len(change)} patients with both values)")
    fig = go.Figure()
    for name in ("gain", "stable", "loss"):
        fig.add_bar(x=change["patient_id"], y=change["change"], name=name)
    for sign in (-1, 1):
        fig.add_hline(y=sign * lsc, line_dash="dot")
    fig.update_layout(title="Change in spine BMD against the LSC", height=480)
    chart(fig, "bmd_g_cm2_waterfall", change)
    table(change)
    download("Download table (CSV)", "lsc", change, key="download-lsc")
    for outcome, label in SECONDARY.items():
        st.header(f"{label} (secondary)")
        st.markdown("**A headline.**")
        left, right = st.columns([3, 2], gap="large")
        with left:
            chart(before_after(outcome, label), f"{outcome}_before_after", _pairs(outcome))
        with right:
            st.markdown("**Per-patient change**")
            table(frame[frame["month"].isin([0, 6])].pivot(index="patient_id", columns="month", values=outcome))
        table(pd.DataFrame({"measure": ["median change", "95% CI"], "value": ["1", "0 to 2"]}))
        with st.expander("Statistical details"):  # as the dashboard's (14 tables on this page, not 11)
            table(pd.DataFrame({"term": [f"term {i}" for i in range(7)], "value": "1.0", "meaning": "Explained."}))
        st.info("**What these numbers can and cannot show**\n\n- One.\n- Two.", icon=":material/lightbulb:")


def safety() -> None:
    banner("Safety")
    numbers = st.columns(4)
    numbers[0].metric("Adverse events", 7 if SAMPLE else round(1.6 * SIZE))
    numbers[1].metric("Patients with an event", f"{4 if SAMPLE else SIZE * 3 // 4} of {SIZE}", help="Of the enrolled")
    numbers[2].metric("Serious events", 1)
    numbers[3].metric("Patients with a serious event", 1)
    if SAMPLE:
        st.error("**Serious adverse events**\n\n- MSC-08: fracture, month 3, grade 3", icon=":material/emergency:")
    else:  # as the dashboard above 30 patients: a sentence and a table, not a bullet each
        st.error("**Serious adverse events: 5 event(s) in 5 patient(s).**", icon=":material/emergency:")
        table(pd.DataFrame({"patient_id": CHOSEN, "term": "fracture", "onset": "month 3", "grade": "3 (severe)"}))
    st.subheader("Patients (events) by worst CTCAE grade and relatedness")
    st.caption("Each cell: patients (events).")
    table(pd.DataFrame({"CTCAE grade": [1, 2, 3], "unrelated": "1 (1)", "possible": "1 (2)", "any": "2 (3)"}))
    download("Download the tidy counts (CSV)", "ae_counts", key="download-ae-counts")
    if not SAMPLE:  # the events by term and grade, and the timeline of one chosen patient
        st.subheader("Events by term and CTCAE grade")
        terms = pd.DataFrame({"term": [f"term {i}" for i in range(15)], "patients": range(30, 15, -1)})
        bars = go.Figure(go.Bar(x=terms["patients"], y=terms["term"], orientation="h"))
        bars.update_layout(title="Adverse events by term and worst CTCAE grade", height=640)
        chart(bars, "adverse_events_by_term", terms)
        download("Every term (CSV)", "terms", terms, key="download-terms")
        st.subheader("Timeline of one patient")
        st.selectbox("Patient (the most severe first)", CHOSEN)
    else:
        st.subheader("Timeline")
    fig = go.Figure()
    frame = drawn()
    fig.add_scatter(x=frame["month"], y=frame["patient_id"], mode="markers", name="visits")
    for grade in (1, 2, 3):
        fig.add_scatter(
            x=[grade, grade + 1], y=list(frame["patient_id"].unique()[:2]), mode="markers", name=f"grade {grade}"
        )
    fig.update_layout(title="Adverse events and visits", height=520)
    chart(fig, "adverse_events_timeline", frame[["patient_id", "month"]])
    st.subheader("Listing of every adverse event")
    listing = pd.DataFrame(
        {"patient_id": CHOSEN[:4] + CHOSEN[:3], "term": "event", "grade": [1, 2, 3, 1, 2, 1, 1], "serious": "no"}
    )
    if SAMPLE:
        st.dataframe(listing.style.apply(lambda row: ["" for _ in row], axis=1), hide_index=True, width="stretch")
    else:  # a page of the listing at a time, as the dashboard's
        st.number_input(f"Page (of {SIZE // 300 + 1}, 500 events each)", 1, SIZE // 300 + 1, 1)
        st.caption(f"Events 1–7 of {round(1.6 * SIZE):,}.")
        table(listing)
    download("Download table (CSV)", "adverse_events", listing, key="download-ae")


st.set_page_config(page_title="Bare Streamlit app", page_icon="📈", layout="wide")
st.navigation(
    [
        st.Page(overview, title="Overview", icon=":material/home:", url_path="overview", default=True),
        st.Page(data, title="Data", icon=":material/upload_file:", url_path="data"),
        st.Page(eligibility, title="Eligibility", icon=":material/filter_alt:", url_path="eligibility"),
        st.Page(trajectories, title="Trajectories", icon=":material/show_chart:", url_path="trajectories"),
        st.Page(outcomes, title="Outcomes", icon=":material/analytics:", url_path="outcomes"),
        st.Page(secondary, title="Secondary outcomes", icon=":material/stacked_line_chart:", url_path="secondary"),
        st.Page(safety, title="Safety", icon=":material/health_and_safety:", url_path="safety"),
    ]
).run()
