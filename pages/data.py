"""Data: upload the study's files, map unknown columns, values and sheets (the mapping step), see every finding and
every column, preview the validated tables, get the template."""

import pandas as pd
import streamlit as st

from medpath.export import chart_filename, study_workbook
from medpath.protocol import ProtocolError
from medpath.protocol_library import PROTOCOLS_VARIABLE, uploaded_protocol
from medpath.scale import summary_first
from medpath.study import SAMPLE_DIR, Study
from pages.components import generated_download, header, literal, paged_table, table, table_download, text_table
from pages.mapping_step import (
    columns_table,
    hold_profile_for_new_upload,
    mapping_step,
    profile_question,
    refusal_next_step,
)
from pages.session import (
    FILES_KEY,
    current_study,
    offered_protocols,
    protocol_library,
    use_files,
    use_protocol,
    use_uploaded_protocol,
)

UPLOADER_GENERATION_KEY = "uploader_generation"
ADD_FILES_KEY = "add_files"
UPLOAD_ERROR_KEY = "upload_error"
PROTOCOL_ERROR_KEY = "protocol_upload_error"  # the problems of the protocol file last uploaded, if it was refused
PROTOCOL_UPLOADS_KEY = "protocol_uploads"  # how many protocol files were uploaded (the uploader's key changes)
#: Up to this many findings are shown as a static table whose messages wrap; more in a scrolling grid.
MAX_WRAPPED_FINDINGS = 200


def _uploader_key() -> str:
    """The uploader's widget key. It changes after every upload, so the widget starts empty again and
    the study is exactly what ``FILES_KEY`` holds: a new upload replaces the study (the uploader's own
    list would otherwise keep the first file beside the corrected one)."""
    return f"uploader_{st.session_state.get(UPLOADER_GENERATION_KEY, 0)}"


def _on_upload(key: str) -> None:
    uploaded = tuple((f.name, f.getvalue()) for f in st.session_state.get(key) or [])
    if not uploaded:
        return
    if st.session_state.get(ADD_FILES_KEY) and st.session_state.get(FILES_KEY):
        uploaded = (*st.session_state[FILES_KEY], *uploaded)
    else:  # another study: the profile of the previous files is asked about, not applied silently
        hold_profile_for_new_upload()
    st.session_state[UPLOAD_ERROR_KEY] = use_files(uploaded)
    st.session_state[UPLOADER_GENERATION_KEY] = st.session_state.get(UPLOADER_GENERATION_KEY, 0) + 1


def _on_protocol_upload(key: str) -> None:
    """A protocol file uploaded for this session: used at once, or refused with its problems by line."""
    file = st.session_state.get(key)
    st.session_state[PROTOCOL_UPLOADS_KEY] = st.session_state.get(PROTOCOL_UPLOADS_KEY, 0) + 1
    if file is None:
        return
    try:
        protocol = uploaded_protocol(file.name, file.getvalue(), protocol_library())
        use_uploaded_protocol(protocol)
        st.session_state["protocol_choice"] = protocol.id  # the box shows the protocol now in use
        st.session_state.pop(PROTOCOL_ERROR_KEY, None)
    except ProtocolError as exc:
        st.session_state[PROTOCOL_ERROR_KEY] = exc.lines()


def _shown_value(value: object) -> str:
    """A finding's value as the cell shows it: 11, not 11.0; nothing for no value."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _back_to_sample() -> None:
    use_files(None)
    st.session_state.pop(UPLOAD_ERROR_KEY, None)


def validated_tables(study: Study) -> None:
    """The validated screening and visit tables, a tab each, long ones a page at a time."""
    screening_tab, visits_tab = st.tabs(["Screening", "Visits"])
    with screening_tab:
        if study.screening is None:
            st.info("No screening table was provided: the eligibility funnel starts at enrolment.")
        else:
            st.caption(f"{len(study.screening)} candidate(s); the Excel row of each is in 'Source row'.")
            paged_table(study.screening, "data-screening-page", "candidates")
    with visits_tab:
        st.caption(f"{len(study.visits)} visit row(s) of {len(study.patient_ids)} patient(s).")
        paged_table(study.visits, "data-visits-page", "visit rows")


study = current_study()
header("Data", study, upload_hint=False)

protocols = offered_protocols()
st.selectbox(
    "Trial protocol",
    list(protocols),
    index=list(protocols).index(study.protocol.id) if study.protocol.id in protocols else 0,
    format_func=lambda pid: f"{pid} — {protocols[pid].title}",
    key="protocol_choice",
    on_change=lambda: use_protocol(st.session_state["protocol_choice"]),
    help="The protocol names the trial's criteria, outcomes, schedule and wording (docs/protocols.md). Changing it "
    "reads the same files again under the other protocol; without an upload it shows that protocol's sample, if it "
    "has one.",
)
library = protocol_library()
refused = st.session_state.get(PROTOCOL_ERROR_KEY)
with st.expander(
    "Your own protocol" + (f" — {len(library.broken)} protocol file(s) cannot be used" if library.broken else ""),
    expanded=bool(library.broken or refused),
):
    st.caption(
        "A protocol file (.yaml, written as docs/protocols.md shows) uploaded here is used in this browser session "
        f"only, kept in memory. For every session, put it in the server's folder named by `{PROTOCOLS_VARIABLE}`."
    )
    # the uploader only when asked for: the page's one file input stays the study's
    if st.toggle("Upload a protocol file", key="protocol_upload_open", value=bool(refused)):
        protocol_key = f"protocol_upload_{st.session_state.get(PROTOCOL_UPLOADS_KEY, 0)}"
        st.file_uploader(
            "Protocol file (.yaml)",
            type=["yaml", "yml"],
            key=protocol_key,
            on_change=_on_protocol_upload,
            args=(protocol_key,),
        )
    if refused:
        st.error(
            "**This protocol file cannot be used:**  \n" + "  \n".join(map(literal, refused)), icon=":material/error:"
        )
    for broken in library.broken:
        st.error(
            f"**{literal(broken.file)} cannot be used** (the other protocols work):  \n"
            + "  \n".join(map(literal, broken.problems)),
            icon=":material/error:",
        )

upload, template = st.columns([3, 1], gap="large")
with upload:
    key = _uploader_key()
    st.file_uploader(
        "Upload the study's Excel workbook (sheets 'screening' and 'visits'), or two CSV files, or a visits-only file",
        type=["xlsx", "xlsm", "xls", "csv"],
        accept_multiple_files=True,
        key=key,
        on_change=_on_upload,
        args=(key,),
        help="A new upload replaces the current study (a corrected workbook is read on its own). Files stay in this "
        "browser session's memory only: nothing is saved on the server or sent anywhere.",
    )
    if st.session_state.get(UPLOAD_ERROR_KEY):
        st.error(st.session_state[UPLOAD_ERROR_KEY], icon=":material/error:")
    if st.session_state.get(FILES_KEY):
        names = ", ".join(literal(name) for name, _ in st.session_state[FILES_KEY])
        st.markdown(f"**Current study:** {names}")
        st.checkbox(
            "Add the next upload to these files instead of replacing them",
            key=ADD_FILES_KEY,
            help="For a study kept in several files (e.g. screening and visits as two CSV files). Two "
            "files holding the same table are reported as an error, never merged.",
        )
        st.caption("Refreshing or closing this tab clears the upload.")
        st.button("Back to the sample study", on_click=_back_to_sample)
with template:
    st.markdown("**Template**")
    st.download_button(
        "Download template.xlsx",
        (SAMPLE_DIR / "template.xlsx").read_bytes(),
        file_name="medpath_template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

profile_question()

# A file (or sheet) refused as a whole: full width, with the next step (the mapping step when it can read the file),
# above everything else.
for refusal in (f for f in study.errors if f.row is None and f.column is None):
    place = literal(refusal.file) + (f" · sheet {literal(refusal.sheet)}" if refusal.sheet else "")
    st.error(
        f"**{place}** — {literal(refusal.message)}.  \n**Next step:** {refusal_next_step(refusal)}.",
        icon=":material/block:",
    )

mapping_step(study)

st.subheader("Findings")
errors, warnings = len(study.errors), len(study.warnings)
if not study.findings:
    st.success("No problems found: every row is used.", icon=":material/check_circle:")
else:
    summary = f"{errors} error(s) and {warnings} warning(s)." + (
        f" Left out of every analysis: {study.left_out}." if study.left_out else ""
    )
    (st.error if errors else st.warning)(summary, icon=":material/error:" if errors else ":material/warning:")
    findings = pd.DataFrame([f.as_dict() for f in study.findings])
    severity = st.segmented_control("Show", ["error", "warning"], default=["error", "warning"], selection_mode="multi")
    shown = findings[findings["severity"].isin(severity or [])]
    shown = shown[["severity", "message", "file", "sheet", "row", "column", "value"]]
    if len(shown) <= MAX_WRAPPED_FINDINGS:  # messages wrap: every word readable at 1280 px
        text_table(
            shown.assign(
                row=shown["row"].map(lambda r: "" if pd.isna(r) else f"{int(r)}"),
                value=shown["value"].map(_shown_value),
            ).rename(columns={"row": "Excel row"})
        )
    else:
        table(
            shown,
            message=st.column_config.TextColumn("Message", width="large"),
            row=st.column_config.NumberColumn("Excel row", format="%d", width="small"),
        )
    table_download(findings, study, "findings", "Download findings (CSV)")

columns_table(study)

st.subheader("Validated tables")
generated_download(
    "Download validated tables and findings (XLSX)",
    lambda: study_workbook(study),
    file_name=f"{chart_filename(study, 'validated')}.xlsx",
    key="download-validated",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)

if summary_first(len(study.patient_ids)):  # a row per candidate and per visit: browsed on request, made when opened
    candidates = "no screening table" if study.screening is None else f"{len(study.screening):,} candidate(s)"
    with st.expander(
        f"Browse the validated tables: {candidates}, {len(study.visits):,} visit row(s)",
        icon=":material/table_view:",
        key="data-validated-open",
        on_change="rerun",
    ) as browse:
        if browse.open:
            validated_tables(study)
else:
    validated_tables(study)
