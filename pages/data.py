"""Data: upload the study's files, see every finding, preview the validated tables, get the template."""

import pandas as pd
import streamlit as st

from medpath.export import chart_filename, study_workbook
from medpath.study import SAMPLE_DIR
from pages.common import FILES_KEY, current_study, generated_download, header, literal, table, table_download, use_files

UPLOADER_KEY = "uploader"
UPLOAD_ERROR_KEY = "upload_error"


def _on_upload() -> None:
    uploaded = st.session_state.get(UPLOADER_KEY) or []
    st.session_state[UPLOAD_ERROR_KEY] = use_files(tuple((f.name, f.getvalue()) for f in uploaded) or None)


def _back_to_sample() -> None:
    use_files(None)
    st.session_state.pop(UPLOADER_KEY, None)


study = current_study()
header("Data", study)

upload, template = st.columns([3, 1], gap="large")
with upload:
    st.file_uploader(
        "Upload the study's Excel workbook (sheets 'screening' and 'visits'), or two CSV files, or a visits-only file",
        type=["xlsx", "xlsm", "xls", "csv"], accept_multiple_files=True, key=UPLOADER_KEY, on_change=_on_upload,
        help="Files stay in this browser session's memory only: nothing is saved on the server or sent anywhere.",
    )
    if st.session_state.get(UPLOAD_ERROR_KEY):
        st.error(st.session_state[UPLOAD_ERROR_KEY], icon=":material/error:")
    if st.session_state.get(FILES_KEY):
        st.markdown(f"**Current study:** {literal(study.label)}")
        st.button("Back to the sample study", on_click=_back_to_sample)
with template:
    st.markdown("**Template**")
    st.download_button("Download template.xlsx", (SAMPLE_DIR / "template.xlsx").read_bytes(),
                       file_name="medpath_template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader("Findings")
errors, warnings = len(study.errors), len(study.warnings)
if not study.findings:
    st.success("No problems found: every row is used.", icon=":material/check_circle:")
else:
    summary = f"{errors} error(s) and {warnings} warning(s)." + (
        f" Left out of every analysis: {study.left_out}." if study.left_out else "")
    (st.error if errors else st.warning)(summary, icon=":material/error:" if errors else ":material/warning:")
    findings = pd.DataFrame([f.as_dict() for f in study.findings])
    severity = st.segmented_control("Show", ["error", "warning"], default=["error", "warning"], selection_mode="multi")
    shown = findings[findings["severity"].isin(severity or [])]
    table(shown, row=st.column_config.NumberColumn("Excel row", format="%d"), value=st.column_config.TextColumn("Value"))
    table_download(findings, study, "findings", "Download findings (CSV)")

st.subheader("Validated tables")
generated_download("Download validated tables and findings (XLSX)", lambda: study_workbook(study),
                   file_name=f"{chart_filename(study, 'validated')}.xlsx", key="download-validated",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
screening_tab, visits_tab = st.tabs(["Screening", "Visits"])
with screening_tab:
    if study.screening is None:
        st.info("No screening table was provided: the eligibility funnel starts at enrolment.")
    else:
        st.caption(f"{len(study.screening)} candidate(s); the Excel row of each is in 'Source row'.")
        table(study.screening)
with visits_tab:
    st.caption(f"{len(study.visits)} visit row(s) of {len(study.patient_ids)} patient(s).")
    table(study.visits)
