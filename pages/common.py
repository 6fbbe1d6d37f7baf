"""What every page shares: the sign-in gate, the current study (kept in ``st.session_state``), its
banner, and the chart and download widgets. All numbers come from ``medpath``; nothing here computes them.

What is kept where (README, "What is stored where"):

- Uploaded files and the study parsed from them live only in this browser session's
  ``st.session_state``: released when the session ends, never in a cache shared between sessions and
  never on disk (``keep_uploads_in_memory`` stops Starlette from spooling large uploads to a temp file).
- Generated files (report, validated XLSX, CSV tables) are built only when their button is clicked
  and removed from Streamlit's media store within ``DOWNLOAD_LIFETIME`` seconds (``expire_downloads``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from medpath.access import ConfigurationError, access_settings, is_allowed, verified_email
from medpath.analysis import Analysis, Settings, analyse
from medpath.export import chart_config, chart_filename, stamped, to_csv_bytes
from medpath.inert import inert_markdown, reveal_controls
from medpath.model import Study
from medpath.outcomes import followup_months
from medpath.protocol import Protocol, bundled, default_protocol
from medpath.report import build_report, report_filename
from medpath.study import load_sample_study, load_study

FILES_KEY = "uploaded_files"
STUDY_KEY = "uploaded_study"  # (digest of the files, parsed Study) of this session
GATE_KEY = "sign_in_gate_passed"
PROFILE_KEY = "mapping_profile"  # the mapping profile (medpath.mapping.Profile) applied to the uploads
PROTOCOL_KEY = "protocol_id"  # the id of the bundled protocol the study is read with
ANALYSIS_KEY = "analysis"  # (study key, settings, Analysis) of this session: analysed once per study and settings
#: Upper bound of one session's uploads together (Streamlit's own limit is per file).
MAX_SESSION_UPLOAD_BYTES = 50 * 1024 * 1024
#: A generated download is removed from the media store at most twice this many seconds after it was made.
DOWNLOAD_LIFETIME = 10.0


def keep_uploads_in_memory() -> None:
    """Uploads never touch the disk: Starlette's multipart parser spools any file part over 1 MB to a
    temporary file; a spool size of 0 keeps every part in memory (Streamlit's upload route already caps
    the body at ``server.maxUploadSize`` + 1 MB while it streams, so memory stays bounded)."""
    from starlette.formparsers import MultiPartParser

    MultiPartParser.spool_max_size = 0


keep_uploads_in_memory()


# ------------------------------------------------------------------------------------------- sign-in


def _secrets_section(name: str) -> dict | None:
    try:
        return dict(st.secrets[name]) if name in st.secrets else None
    except FileNotFoundError as error:
        if getattr(error, "error_id", None) == "no-secrets-found":  # no secrets.toml at all: local use
            return None
        raise ConfigurationError("secrets.toml cannot be read (a syntax error?).") from error


def _locked(message: str | None = None, *, sign_in: bool = False, sign_out: bool = False) -> Callable[[], None]:
    """The page shown instead of the dashboard: a message and the one button that can help."""

    def page() -> None:
        st.title("MedPath")
        if message:
            st.error(message, icon=":material/lock:")
        if sign_in:
            st.write("This dashboard shows patient data. Sign in with your hospital account to continue.")
            st.button("Sign in", type="primary", on_click=st.login)
        if sign_out:
            st.button("Sign out", on_click=st.logout)

    return page


def sign_in_gate() -> Callable[[], None] | None:
    """None when the visitor may see data (sign-in off, or signed in with a verified e-mail on the
    allow-list); otherwise the page to show instead of any other. ``dashboard.py`` calls it before
    navigation, so no page script runs for a visitor it does not admit.

    Sign-in is Streamlit's OpenID Connect login, switched on by an ``[auth]`` secrets section or
    ``MEDPATH_REQUIRE_LOGIN=1``; the rules (all failing closed) are in ``medpath.access``."""
    st.session_state.pop(GATE_KEY, None)
    try:
        auth = _secrets_section("auth")
        settings = access_settings(auth is not None, os.environ, _secrets_section("medpath"))
    except ConfigurationError as error:
        return _locked(f"Configuration error: {error} MedPath shows no data until this is fixed.")
    if not settings.required:
        st.session_state[GATE_KEY] = True
        return None
    if not settings.auth_configured:
        return _locked(
            "Sign-in is required (MEDPATH_REQUIRE_LOGIN) but no [auth] section is configured in "
            "secrets.toml, so nobody can sign in. Ask the administrator."
        )
    if not st.user.get("is_logged_in", False):
        return _locked(sign_in=True)
    email = verified_email(st.user, settings.trust_unverified)
    if not is_allowed(email, settings.allowed):
        shown = literal(st.user.get("email") or "(no e-mail)")
        reason = (
            "its e-mail address is not verified by the identity provider"
            if email is None and st.user.get("email")
            else "it is not on the allow-list"
            if settings.allowed
            else "no allow-list is configured"
        )
        return _locked(f"The account {shown} may not see this study: {reason}.", sign_out=True)
    st.session_state[GATE_KEY] = True
    st.sidebar.caption(f"Signed in as {literal(email)}")
    st.sidebar.button("Sign out", on_click=st.logout)
    return None


# ------------------------------------------------------------------------------------------ the study


def current_protocol() -> Protocol:
    """The protocol chosen in this session (on the Data page), by default the bundled default protocol."""
    return bundled().get(st.session_state.get(PROTOCOL_KEY, ""), default_protocol())


def use_protocol(protocol_id: str) -> None:
    """Read the study with another bundled protocol (the uploads stay; they are read again)."""
    st.session_state[PROTOCOL_KEY] = protocol_id
    st.session_state.pop(STUDY_KEY, None)


@st.cache_resource(show_spinner="Loading the sample study…")
def _sample_study(protocol_id: str) -> Study:
    """The bundled sample of a protocol, read once per server (it is no user's data; a Study is never changed)."""
    return load_sample_study(bundled()[protocol_id])


@st.cache_resource(show_spinner="Analysing the sample study…", max_entries=64)
def _sample_analysis(protocol_id: str, settings: Settings) -> Analysis:
    """The analysis of a bundled sample, once per server and settings."""
    return analyse(_sample_study(protocol_id), settings)


def _leave_legacy_pages_mode() -> None:
    """The first run in a fresh server process follows Streamlit's legacy ``pages/`` directory mode (a
    sidebar listing every file in pages/, each run directly) until some run calls ``st.navigation``; a
    page opened by URL in that run skips dashboard.py. Switch the mode off, as ``st.navigation`` does,
    and rerun, so this and every later run goes through dashboard.py's gate and navigation."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _digest(files: tuple[tuple[str, bytes], ...]) -> str:
    sha = hashlib.sha256()
    for name, data in files:
        for part in (name.encode("utf-8", "surrogatepass"), data):
            sha.update(len(part).to_bytes(8, "big") + part)
    return sha.hexdigest()


def current_study() -> Study:
    """The uploaded study of this session, or the synthetic sample when nothing was uploaded.

    The parsed study is kept in this session's state next to its files (parsed once per upload), so it
    is released with the session and never shared. ``dashboard.py`` runs the sign-in gate before any
    page; should a page ever run without it (the first run in a fresh server process follows Streamlit's
    legacy ``pages/`` directory mode and can start a page script directly), the gate runs here."""
    if not st.session_state.get(GATE_KEY):
        _leave_legacy_pages_mode()
        if (locked := sign_in_gate()) is not None:
            locked()
            st.stop()
    files = st.session_state.get(FILES_KEY)
    protocol = current_protocol()
    if not files:
        return _sample_study(protocol.id)
    profile = st.session_state.get(PROFILE_KEY)  # kept beside the files: parsed once per (files, profile)
    digest = _digest(files) + (hashlib.sha256(profile.to_yaml().encode()).hexdigest() if profile else "")
    digest += ":" + protocol.id
    kept = st.session_state.get(STUDY_KEY)
    if kept is None or kept[0] != digest:
        st.session_state.pop(STUDY_KEY, None)  # release the previous study before parsing the next
        with st.spinner("Reading and validating your files…"):
            kept = (digest, load_study(list(files), mapping=profile, protocol=protocol))
        st.session_state[STUDY_KEY] = kept
    return kept[1]


def use_files(files: tuple[tuple[str, bytes], ...] | None) -> str | None:
    """Make these uploaded files (or, with None, the sample study) the study every page shows.
    Returns a message instead when the files together exceed ``MAX_SESSION_UPLOAD_BYTES``."""
    st.session_state.pop(STUDY_KEY, None)
    if files and sum(len(data) for _, data in files) > MAX_SESSION_UPLOAD_BYTES:
        st.session_state.pop(FILES_KEY, None)
        return (
            f"These files are {sum(len(d) for _, d in files) / 2**20:.0f} MB together; MedPath reads at most "
            f"{MAX_SESSION_UPLOAD_BYTES // 2**20} MB per study. Upload fewer or smaller files."
        )
    if files:
        st.session_state[FILES_KEY] = files
    else:
        st.session_state.pop(FILES_KEY, None)
    return None


# ------------------------------------------------------------------------------------------- choices

#: The choices every page, the report and the slides follow, kept in ``st.session_state`` under
#: "kept_<name>" (a widget's own state is dropped when a page without it runs; these are not).
CHOICE_DEFAULTS: dict[str, object] = {
    "followup": None,  # the protocol's primary month
    "alternative": "two-sided",
    "zero_method": "wilcox",
    "hl_zeros": "keep",
    "patients": None,
    "min_points": None,  # the protocol's responder rule
    "min_percent": None,
    "lsc": None,  # the protocol's least significant change
}


def kept(name: str) -> object:
    """The value of a choice in this session (its default until a page changed it)."""
    return st.session_state.get(f"kept_{name}", CHOICE_DEFAULTS[name])


def kept_number(name: str, default: float | None) -> float | None:
    """A numeric choice of this session, ``default`` (the protocol's value) until a page changed it."""
    value = kept(name)
    if value is None:
        return default
    assert isinstance(value, int | float), (name, value)
    return float(value)


def _keep(name: str) -> None:
    st.session_state[f"kept_{name}"] = st.session_state[f"widget_{name}"]


def choice(name: str, widget: Callable, label: str, options=None, *, default: object = None, **kwargs):
    """``widget`` (st.selectbox, st.multiselect, st.number_input, st.radio, ...) showing the kept value of
    choice ``name`` and keeping every change, so the choice stays when the page changes. ``options``
    (when the widget has them) guard the kept value: one no longer offered falls back to the first. ``default``:
    the value shown while the choice is the protocol's (kept as None)."""
    key = f"widget_{name}"
    value = kept(name)
    if value is None and default is not None:
        value = default
    if options is not None:
        options = list(options)
        if name == "patients":
            value = [p for p in (options if value is None else value) if p in options]  # type: ignore[union-attr]
        elif value not in options:
            primary = current_protocol().primary_month
            value = primary if name == "followup" and primary in options else options[-1 if name == "followup" else 0]
    st.session_state[key] = value
    args = (label, options) if options is not None else (label,)
    return widget(*args, key=key, on_change=_keep, args=(name,), **kwargs)


def settings(study: Study) -> Settings:
    """The analysis choices in force in this session (``medpath.analysis.Settings``; None = the protocol's)."""
    months = followup_months(study.visits, study.protocol) if len(study.visits) else []
    primary = study.protocol.primary_month
    followup = kept("followup")
    if followup not in months:
        followup = primary if primary in months or not months else months[-1]
    numbers = {name: kept_number(name, None) for name in ("min_points", "min_percent", "lsc")}
    return Settings(
        followup_month=followup,
        alternative=str(kept("alternative")),
        zero_method=kept("zero_method"),  # type: ignore[arg-type]
        hl_zeros=kept("hl_zeros"),  # type: ignore[arg-type]
        **numbers,
    )


def current_analysis(study: Study) -> Analysis:
    """The one analysis of the study with the choices in force, computed once per study and settings: the
    sample's once per server (``st.cache_resource``), an upload's once in this session (kept beside the study,
    never shared). Every page, the report and the slides display it."""
    chosen = settings(study)
    if study.synthetic and study.label and not st.session_state.get(FILES_KEY):
        return _sample_analysis(study.protocol.id, chosen)
    key = (id(study), chosen)
    kept_analysis = st.session_state.get(ANALYSIS_KEY)
    if kept_analysis is None or kept_analysis[0] != key:
        st.session_state.pop(ANALYSIS_KEY, None)
        kept_analysis = (key, analyse(study, chosen))
        st.session_state[ANALYSIS_KEY] = kept_analysis
    return kept_analysis[1]


def chosen_patients(study: Study) -> list[str]:
    """The patients chosen on the Trajectories page that are in this study (all of them by default)."""
    value = kept("patients")
    if not isinstance(value, list):
        return list(study.patient_ids)
    return [p for p in study.patient_ids if p in value]


# ------------------------------------------------------------------------------------ text from data


def literal(text: object) -> str:
    """Text from the data (file names, sheet names, patient ids, labels, values) made inert for
    Streamlit's Markdown: no link, emphasis, HTML, heading or list, and bidirectional or invisible
    control characters shown as ⟨U+…⟩ (``medpath.inert``)."""
    return inert_markdown(text)


def plain(text: object) -> str:
    """Text from the data for places that show plain text (widget options, grid cells): invisible
    and bidirectional control characters shown as ⟨U+…⟩."""
    return reveal_controls(text)


def header(title: str, study: Study, *, compact: bool = False, upload_hint: bool = True) -> None:
    """Page title plus a banner saying which data is shown (the sample is always labelled); ``compact``:
    the sample's banner as one short line; ``upload_hint``: say where to upload (not on the Data page itself)."""
    st.title(title)
    elsewhere = upload_hint
    if study.synthetic and compact:
        st.caption(f":orange-badge[SYNTHETIC] {literal(study.label)} — upload your own study on the **Data** page.")
    elif study.synthetic:
        st.info(
            f"**{literal(study.label)}.**" + (" Upload your own study on the **Data** page." if elsewhere else ""),
            icon=":material/science:",
        )
    else:
        errors = len(study.errors)
        note = f" — {errors} error finding(s)" + (", see the **Data** page" if elsewhere else "") if errors else ""
        st.caption(
            f"Data: {literal(study.label)}{note}. Your files live only in this browser tab: refreshing or "
            "closing the tab clears them (upload them again on the **Data** page)."
        )


_LABELS = {"patient_id": "Patient", "followup": "Follow-up", "band": "Class", "percent_change": "Change (%)"}


def _column_label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    outcomes = current_protocol().outcomes
    return outcomes[name].axis_title if name in outcomes else name.replace("_", " ").capitalize()


def _missing_as_dash(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as "—", never "None": a column with no value at all is dropped, a float column
    with gaps becomes text (3 significant digits), text columns get "—" for None."""
    frame = frame.drop(columns=[c for c in frame.columns if frame[c].isna().all() and len(frame)])
    for c in frame.columns:
        column = frame[c]
        if not column.isna().any():
            continue
        if pd.api.types.is_float_dtype(column):
            frame[c] = column.map(lambda v: "—" if pd.isna(v) else f"{v:.3g}".replace("-", "−"))
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            frame[c] = column.astype(object).map(
                lambda v: "—" if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v
            )
    return frame


def _revealed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell passed through ``plain`` (a bidirectional control in an id would
    otherwise reorder the cell as the grid draws it)."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text:
        return frame
    frame = frame.copy()
    for c in text:
        frame[c] = frame[c].map(lambda v: plain(v) if isinstance(v, str) else v)
    return frame


def table(frame: pd.DataFrame, **column_config) -> None:
    """A table with readable column names, floats to 3 significant digits, and no inner scrolling for
    short tables (screenshots show every row)."""
    frame = _missing_as_dash(frame)
    config = {
        c: st.column_config.NumberColumn(_column_label(c), format="%.3g")
        if pd.api.types.is_float_dtype(frame[c])
        else _column_label(c)
        for c in frame.columns
    }
    st.dataframe(
        _revealed(frame),
        hide_index=True,
        width="stretch",
        height="content" if len(frame) <= 40 else "auto",
        column_config=config | column_config,
    )


def text_table(frame: pd.DataFrame) -> None:
    """A static table whose long texts wrap (findings' messages stay readable at 1280 px), with the same
    readable column names, dashes for missing values and inert text as ``table``."""
    frame = _revealed(_missing_as_dash(frame))
    frame = frame.rename(columns={c: _column_label(c) for c in frame.columns})
    st.table(frame.set_index(frame.columns[0]))


def chart(fig: go.Figure, study: Study, name: str, data: pd.DataFrame | None = None) -> None:
    """A plotly chart with the provenance footer inside it, whose camera button saves a 1600 × 900 PNG
    named after the study, chart and date whatever the window; its title as a caption (the chart's name
    for a screen reader, which cannot read the plotly canvas) and, when ``data`` is given, the numbers
    drawn as a table one click away."""
    title = fig.layout.title.text or name
    st.plotly_chart(stamped(fig, study), width="stretch", config=chart_config(study, name))
    if data is not None:
        with st.expander(f"Data of this chart (table): {plain(title)}"):
            table(data)


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


def table_download(frame: pd.DataFrame, study: Study, name: str, label: str = "Download table (CSV)") -> None:
    """A CSV download of a table, built on click; text cells are neutralised against formula injection."""
    generated_download(
        label,
        lambda: to_csv_bytes(frame),
        file_name=f"{chart_filename(study, name)}.csv",
        mime="text/csv",
        key=f"download-{name}",
    )


def no_data(study: Study, what: str) -> bool:
    """Show a designed empty state when the study has no usable visits; True if so."""
    if len(study.visits):
        return False
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
    from medpath.slides import build_deck, deck_filename, results_docx, tables_filename

    analysis, patients = current_analysis(study), chosen_patients(study)
    columns = st.columns(3)
    with columns[0]:
        report_download(study)
    with columns[1]:
        generated_download(
            "Download slides (PowerPoint)",
            lambda: build_deck(analysis, patients=patients),
            file_name=deck_filename(study),
            key="download-slides",
            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
    with columns[2]:
        generated_download(
            "Download results tables (Word)",
            lambda: results_docx(analysis),
            file_name=tables_filename(study),
            key="download-docx",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
