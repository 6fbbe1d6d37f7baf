"""What every page shares: the current study (kept in ``st.session_state``), its banner, and the
chart and download widgets. All numbers come from ``medpath``; nothing here computes them.

Uploaded files live only in this session's memory (``st.session_state``); the parsed study is cached
with ``st.cache_data`` keyed on the files' bytes, in memory, never on disk.
"""

from __future__ import annotations

import os
import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from medpath.access import ALLOW_ENV, allow_list, is_allowed, login_required
from medpath.export import chart_config, chart_filename, to_csv_bytes
from medpath.model import OUTCOMES, Study
from medpath.report import build_report, report_filename
from medpath.study import load_sample_study, load_study

FILES_KEY = "uploaded_files"


def _secrets_section(name: str) -> dict | None:
    try:
        return dict(st.secrets[name]) if name in st.secrets else None
    except FileNotFoundError:  # no secrets.toml at all: local use
        return None


def require_sign_in() -> None:
    """Stop the run before any page shows data unless sign-in is off or the user is signed in and
    allowed. Sign-in is Streamlit's OpenID Connect login, switched on by an ``[auth]`` secrets section
    (or ``MEDPATH_REQUIRE_LOGIN=1``); the allow-list comes from ``MEDPATH_ALLOWED_USERS`` or
    ``[medpath] allowed_users`` in the secrets."""
    auth = _secrets_section("auth")
    if not login_required(auth is not None, os.environ):
        return
    st.title("MedPath")
    if auth is None:
        st.error("Sign-in is required (MEDPATH_REQUIRE_LOGIN) but no [auth] section is configured in "
                 "secrets.toml, so nobody can sign in. Ask the administrator.", icon=":material/lock:")
        st.stop()
    if not st.user.get("is_logged_in", False):
        st.write("This dashboard shows patient data. Sign in with your hospital account to continue.")
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    # an address the identity provider has not verified proves nothing: refuse it
    email = None if st.user.get("email_verified") is False else st.user.get("email")
    settings = _secrets_section("medpath") or {}
    if not is_allowed(email, allow_list(os.environ.get(ALLOW_ENV) or settings.get("allowed_users"))):
        st.error(f"The account {literal(st.user.get('email') or '(no e-mail)')} is not allowed to see this study.",
                 icon=":material/lock:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    st.sidebar.caption(f"Signed in as {literal(email)}")
    st.sidebar.button("Sign out", on_click=st.logout)


@st.cache_data(show_spinner="Loading the sample study…")
def _sample_study() -> Study:
    return load_sample_study()


@st.cache_data(show_spinner="Reading and validating your files…", max_entries=32, ttl="1h")
def _uploaded_study(files: tuple[tuple[str, bytes], ...]) -> Study:
    return load_study(list(files))


def current_study() -> Study:
    """The uploaded study of this session, or the synthetic sample when nothing was uploaded.
    The only way a page gets data, so the sign-in gate stands here."""
    require_sign_in()
    files = st.session_state.get(FILES_KEY)
    return _uploaded_study(files) if files else _sample_study()


def use_files(files: tuple[tuple[str, bytes], ...] | None) -> None:
    """Make these uploaded files (or, with None, the sample study) the study every page shows."""
    if files:
        st.session_state[FILES_KEY] = files
    else:
        st.session_state.pop(FILES_KEY, None)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#])")
_AUTOLINK = re.compile(r"(?<=www)\.|:(?=//)", re.IGNORECASE)


def literal(text: object) -> str:
    """Text from the data (file names, patient ids) made inert for Streamlit's Markdown: the characters
    that start emphasis, links, HTML, LaTeX or tables are backslash-escaped, and bare URLs are broken
    up so they do not become links."""
    return _AUTOLINK.sub(lambda m: "\\" + m.group(0), _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)))


def header(title: str, study: Study) -> None:
    """Page title plus a banner saying which data is shown (the sample is always labelled)."""
    st.title(title)
    elsewhere = title != "Data"
    if study.synthetic:
        st.info(f"**{literal(study.label)}.**" + (" Upload your own study on the **Data** page." if elsewhere else ""),
                icon=":material/science:")
    else:
        errors = len(study.errors)
        note = f" — {errors} error finding(s)" + (", see the **Data** page" if elsewhere else "") if errors else ""
        st.caption(f"Data: {literal(study.label)}{note}")


def _column_label(name: str) -> str:
    return OUTCOMES[name].axis_title if name in OUTCOMES else name.replace("_", " ").capitalize()


def table(frame: pd.DataFrame, **column_config) -> None:
    """A table with readable column names, floats to 3 significant digits, and no inner scrolling for
    short tables (screenshots show every row)."""
    config = {c: st.column_config.NumberColumn(_column_label(c), format="%.3g")
              if pd.api.types.is_float_dtype(frame[c]) else _column_label(c) for c in frame.columns}
    st.dataframe(frame, hide_index=True, width="stretch", height="content" if len(frame) <= 40 else "auto",
                 column_config=config | column_config)


def chart(fig: go.Figure, study: Study, name: str) -> None:
    """A plotly chart whose camera button saves a 2× PNG named after the study, chart and date."""
    st.plotly_chart(fig, width="stretch", config=chart_config(study, name))


def table_download(frame: pd.DataFrame, study: Study, name: str, label: str = "Download table (CSV)") -> None:
    """A CSV download of a table; text cells are neutralised against formula injection."""
    st.download_button(label, to_csv_bytes(frame), file_name=f"{chart_filename(study, name)}.csv",
                       mime="text/csv", key=f"download-{name}")


def no_data(study: Study, what: str) -> bool:
    """Show a designed empty state when the study has no usable visits; True if so."""
    if len(study.visits):
        return False
    st.warning(f"There is nothing to show for {what}: no usable visit rows were read. "
               "The **Data** page lists what was wrong with the files.", icon=":material/warning:")
    return True


def report_download(study: Study, **options) -> None:
    """One self-contained HTML report of everything shown, built only when the button is clicked."""
    st.download_button("Download report (HTML)", lambda: build_report(study, **options).encode("utf-8"),
                       file_name=report_filename(study), mime="text/html", on_click="ignore",
                       type="primary", key="download-report")
