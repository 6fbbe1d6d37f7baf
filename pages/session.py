"""This browser session's state: the sign-in gate, the uploaded files and the study read from them, the protocol
chosen, the choices every page follows, and the one analysis of the study with those choices. All numbers come from
``medpath``; nothing here computes them.

What is kept where (docs/deployment.md, "What is stored where"): uploaded files and the study parsed from them live only in
this session's ``st.session_state`` -- released when the session ends, never in a cache shared between sessions and
never on disk (``keep_uploads_in_memory`` stops Starlette from spooling large uploads to a temporary file). The
bundled samples (no user's data) and their analyses are cached once per server.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import TypeVar, cast

import streamlit as st

from medpath.access import ConfigurationError, access_settings, is_allowed, verified_email
from medpath.analysis import Analysis, Settings, analyse
from medpath.inert import inert_markdown
from medpath.model import Study
from medpath.pipeline.guard.disposable_reader import read_uploads
from medpath.pipeline.map.mapping import MappingGuess, best_guess
from medpath.protocol import Protocol
from medpath.protocol_library import PROTOCOLS_VARIABLE, ProtocolLibrary, load_library
from medpath.study import load_sample_study, load_study, no_study_yet
from medpath.study_choices import StudyFacts, fit_choices
from medpath.wording import HL_ZEROS_OPTIONS, ZERO_METHOD_OPTIONS, direction_options

T = TypeVar("T")

FILES_KEY = "uploaded_files"
STUDY_KEY = "uploaded_study"  # (digest of the files, parsed Study, its StudyFacts, the mapping guess) of this session
CHOICES_STUDY_KEY = "choices_study"  # the StudyFacts of the study the kept choices were made for
STUDY_NOTICE_KEY = "study_notice"  # what was reset when another study took its place (shown once)
GATE_KEY = "sign_in_gate_passed"
PROFILE_KEY = "mapping_profile"  # the mapping profile (medpath.pipeline.map.mapping.Profile) applied to the uploads
PROTOCOL_KEY = "protocol_id"  # the id of the protocol the study is read with
UPLOADED_PROTOCOL_KEY = "uploaded_protocol"  # a protocol uploaded for this session (a Protocol), or absent
ANALYSIS_KEY = "analysis"  # (study key, settings, Analysis) of this session: analysed once per study and settings
ADDRESS_READ_KEY = "address_read"  # the page address's choices were read (once, on the session's first run)
ADDRESS_NOTE_KEY = "address_note"  # what the address asked for that is not offered (shown once by the header)
BUILT_KEY = "built"  # the charts and tables built of this session's uploaded study: {"study": Study, key: value}
#: Upper bound of one session's uploads together (Streamlit's own limit is per file).
MAX_SESSION_UPLOAD_BYTES = 50 * 1024 * 1024


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
        shown = inert_markdown(st.user.get("email") or "(no e-mail)")
        reason = (
            "its e-mail address is not verified by the identity provider"
            if email is None and st.user.get("email")
            else "it is not on the allow-list"
            if settings.allowed
            else "no allow-list is configured"
        )
        return _locked(f"The account {shown} may not see this study: {reason}.", sign_out=True)
    st.session_state[GATE_KEY] = True
    st.sidebar.caption(f"Signed in as {inert_markdown(email)}")
    st.sidebar.button("Sign out", on_click=st.logout)
    return None


# ------------------------------------------------------------------------------------------ the page

#: Page-wide CSS (static: nothing from the data). Plotly shows its toolbar always on a touch screen, over the chart's
#: title; on a narrow screen it shows only while the chart is touched or hovered. A chart that needs more room than a
#: phone has (legend rows over its title, five panels a row, the 1100 px CONSORT diagram whose text does
#: not shrink with its boxes) sits in a container keyed "wide-…" (``st.container(key=…)``): it keeps the width it
#: needs and scrolls sideways in its own box instead of spilling over the page's edge. On any screen a status badge
#: wraps instead of being cut short, and the element holding this style takes no room on the page.
PAGE_CSS = """<style id="medpath-page-css">
[data-testid="stElementContainer"]:has(#medpath-page-css) {display: none}
.stMarkdown [data-testid="stMarkdownContainer"] span.stMarkdownBadge {white-space: normal}
@media (max-width: 640px) {
  [data-testid="stPlotlyChart"] .modebar-container {opacity: 0; transition: opacity .2s}
  [data-testid="stPlotlyChart"]:hover .modebar-container,
  [data-testid="stPlotlyChart"]:focus-within .modebar-container {opacity: 1}
  [class*="st-key-wide-"] {overflow-x: auto}
  [class*="st-key-wide-"] [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {min-width: 720px}
  .st-key-wide-consort [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {min-width: 1100px}
}
</style>"""


# ------------------------------------------------------------------------------------------ the study


def protocol_library() -> ProtocolLibrary:
    """The bundled protocols and those of the team's folder named by ``MEDPATH_PROTOCOLS`` (listed on every run, read
    again only when a file changed: a protocol added there is offered without a restart)."""
    return load_library(os.environ.get(PROTOCOLS_VARIABLE))


def offered_protocols() -> dict[str, Protocol]:
    """The protocols this session can choose: the library's, and the one uploaded for this session (last)."""
    offered = dict(protocol_library().protocols)
    uploaded: Protocol | None = st.session_state.get(UPLOADED_PROTOCOL_KEY)
    if uploaded is not None and uploaded.id not in offered:
        offered[uploaded.id] = uploaded
    return offered


def current_protocol() -> Protocol:
    """The protocol chosen in this session (on the Data page), by default the library's default protocol."""
    return offered_protocols().get(st.session_state.get(PROTOCOL_KEY, ""), protocol_library().default)


def use_protocol(protocol_id: str) -> None:
    """Read the study with another protocol (the uploads stay; they are read again)."""
    st.session_state[PROTOCOL_KEY] = protocol_id
    st.session_state.pop(STUDY_KEY, None)


def use_uploaded_protocol(protocol: Protocol) -> None:
    """Offer ``protocol`` (uploaded for this session; its id is none of the library's) and read the study with it."""
    st.session_state[UPLOADED_PROTOCOL_KEY] = protocol
    use_protocol(protocol.id)


@st.cache_resource(show_spinner="Loading the sample study…")
def _sample_study(protocol_id: str) -> Study:
    """The sample of a protocol of the library, read once per server (it is no user's data; a Study is never
    changed)."""
    return load_sample_study(protocol_library().protocols[protocol_id])


@st.cache_resource(show_spinner=False)
def _sample_facts(protocol_id: str) -> StudyFacts:
    """What the choices depend on, of a bundled sample (once per server)."""
    return StudyFacts.of(_sample_study(protocol_id))


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
    """The uploaded study of this session, or the synthetic sample when nothing was uploaded; the page address
    follows the choices in force (``address_params``), and on the session's first run they follow it. When this
    study is not the one the choices were made for, those that do not fit it are reset first, and a notice above
    the page says which, once (``_fit_choices_to``).

    The parsed study is kept in this session's state next to its files (parsed once per upload), so it
    is released with the session and never shared. ``dashboard.py`` runs the sign-in gate before any
    page; should a page ever run without it (the first run in a fresh server process follows Streamlit's
    legacy ``pages/`` directory mode and can start a page script directly), the gate runs here."""
    if not st.session_state.get(GATE_KEY):
        _leave_legacy_pages_mode()
        if (locked := sign_in_gate()) is not None:
            locked()
            st.stop()
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    first = not st.session_state.get(ADDRESS_READ_KEY)
    ignored = _read_protocol_from_address() if first else []
    study, facts = _study()
    _fit_choices_to(facts)
    if notice := st.session_state.pop(STUDY_NOTICE_KEY, None):
        st.info(notice, icon=":material/restart_alt:")  # counts, months and fixed words only: no text from the data
    if first:
        ignored += _read_choices_from_address(study)
        st.session_state[ADDRESS_READ_KEY] = True
        if ignored:
            st.session_state[ADDRESS_NOTE_KEY] = (
                "The page address asked for "
                + ", ".join(f"{name} = {value[:40]!r}" for name, value in ignored)
                + ", which this study does not offer; "
                + ("it was" if len(ignored) == 1 else "they were")
                + " ignored."
            )
    _write_address(study)
    return study


def _study() -> tuple[Study, StudyFacts]:
    """The uploaded study of this session (parsed once per upload and kept beside its files), or the sample; with
    what the choices depend on in it."""
    files = st.session_state.get(FILES_KEY)
    protocol = current_protocol()
    if not files and protocol.sample is None:  # a protocol without a sample: nothing to show until an upload
        study = no_study_yet(protocol)
        return study, StudyFacts.of(study)
    if not files:
        return _sample_study(protocol.id), _sample_facts(protocol.id)
    profile = st.session_state.get(PROFILE_KEY)  # kept beside the files: parsed once per (files, profile)
    digest = _digest(files) + (hashlib.sha256(profile.to_yaml().encode()).hexdigest() if profile else "")
    digest += ":" + protocol.id
    kept = st.session_state.get(STUDY_KEY)
    if kept is None or kept[0] != digest:
        st.session_state.pop(STUDY_KEY, None)  # release the previous study before parsing the next
        with st.spinner("Reading and validating your files…"):
            reads = read_uploads(files, protocol)  # once, for the study and the mapping step's guess
            study = load_study(files, mapping=profile, protocol=protocol, reads=reads)
            kept = (digest, study, StudyFacts.of(study), best_guess(files, protocol, profile, reads))
        st.session_state[STUDY_KEY] = kept
    return kept[1], kept[2]


def current_guess() -> MappingGuess | None:
    """MedPath's guess of which column is which field in this session's uploaded files with the profile in use
    (``medpath.pipeline.map.mapping.best_guess``), made with the study from the same reads; None for the sample."""
    kept = st.session_state.get(STUDY_KEY) if st.session_state.get(FILES_KEY) else None
    return None if kept is None else kept[3]


def _fit_choices_to(facts: StudyFacts) -> None:
    """When another study takes the place of the one the kept choices were made for (a new upload, another protocol,
    back to the sample, a mapping profile that changes what is read), the choices that do not fit it go back to
    their defaults and a notice saying which is shown once (``medpath.study_choices.fit_choices`` decides). The same
    study read again keeps them all."""
    before = st.session_state.get(CHOICES_STUDY_KEY)
    st.session_state[CHOICES_STUDY_KEY] = facts
    kept_now = {
        name: st.session_state[f"kept_{name}"] for name in CHOICE_DEFAULTS if f"kept_{name}" in st.session_state
    }
    fitted = fit_choices(kept_now, CHOICE_DEFAULTS, before, facts)
    for name in fitted.reset:
        st.session_state.pop(f"kept_{name}", None)
    if fitted.notice:
        st.session_state[STUDY_NOTICE_KEY] = fitted.notice


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


# ------------------------------------------------------------------------------------ the page address

#: The choices written to the page address (``st.query_params``), so a refreshed or shared link shows the same
#: view. Only choices: never a file, a value or a patient id (patients are their 1-based positions in the study).
ADDRESS_PARAMS = ("protocol", "followup", "alternative", "zero_method", "hl_zeros", "patients")


def _address_options(study: Study) -> dict[str, dict[str, object]]:
    """Per choice in the address: each text the address may hold -> the value of the choice it stands for."""
    return {
        "followup": {f"{month:g}": month for month in _facts_of(study).months},
        "alternative": {key: key for key in direction_options(study.protocol)},
        "zero_method": {key: key for key in ZERO_METHOD_OPTIONS},
        "hl_zeros": {key: key for key in HL_ZEROS_OPTIONS},
    }


def _patients_from_address(text: str, study: Study) -> list[str] | None:
    """Patients from their 1-based positions ("1,4"; "" for none), None if any position is not in the study."""
    ids = list(study.patient_ids)
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if not all(part.isdigit() and 1 <= int(part) <= len(ids) for part in parts):
        return None
    chosen = {ids[int(part) - 1] for part in parts}
    return [p for p in ids if p in chosen]


def _read_protocol_from_address() -> list[tuple[str, str]]:
    """The protocol named in the address, if offered (before the study is read); returns what was ignored."""
    value = st.query_params.get("protocol")
    if value is None:
        return []
    if value not in offered_protocols():
        return [("protocol", value)]
    st.session_state[PROTOCOL_KEY] = value
    return []


def _read_choices_from_address(study: Study) -> list[tuple[str, str]]:
    """The choices named in the address that this study offers become the session's (``kept``); returns the
    (name, value) pairs it does not offer, which are left alone (and removed from the address)."""
    ignored = []
    for name, options in _address_options(study).items():
        value = st.query_params.get(name)
        if value is None:
            continue
        if value in options:
            st.session_state[f"kept_{name}"] = options[value]
        else:
            ignored.append((name, value))
    value = st.query_params.get("patients")
    if value is not None:
        patients = _patients_from_address(value, study)
        if patients is None:
            ignored.append(("patients", value))
        else:
            st.session_state["kept_patients"] = patients
    return ignored


def address_params(study: Study) -> dict[str, str]:
    """The choices in force that differ from the defaults, as the page address holds them."""
    params: dict[str, str] = {}
    protocol = st.session_state.get(PROTOCOL_KEY)
    library = protocol_library()  # not an uploaded protocol: another session could not open its address
    if protocol in library.protocols and protocol != library.default.id:
        params["protocol"] = str(protocol)
    options = _address_options(study)
    for name, offered in options.items():
        value = kept(name)
        if value is None or (value == CHOICE_DEFAULTS[name] and name != "followup"):
            continue
        text = f"{value:g}" if isinstance(value, float | int) else str(value)
        if text in offered:
            params[name] = text
    patients = kept("patients")
    if isinstance(patients, list):
        positions = [str(i) for i, p in enumerate(study.patient_ids, start=1) if p in patients]
        if len(positions) != len(study.patient_ids):
            params["patients"] = ",".join(positions)
    return params


def _write_address(study: Study) -> None:
    """The page address follows the choices in force (Streamlit drops it when the page changes; it is written
    again here). Only what differs is written: an unchanged address is not touched."""
    wanted = address_params(study)
    shown = st.query_params.to_dict()
    for name in ADDRESS_PARAMS:
        if name in wanted and shown.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and name in shown:
            del st.query_params[name]


def address_note() -> str | None:
    """Once: what the page address asked for that is not offered (for a small caption)."""
    return st.session_state.pop(ADDRESS_NOTE_KEY, None)


def _facts_of(study: Study) -> StudyFacts:
    """What the choices depend on in ``study`` (its follow-up months): kept beside the uploaded study, the sample's
    once per server; else counted."""
    if _is_sample(study):
        return _sample_facts(study.protocol.id)
    kept = st.session_state.get(STUDY_KEY)
    return kept[2] if kept is not None and kept[1] is study else StudyFacts.of(study)


def settings(study: Study) -> Settings:
    """The analysis choices in force in this session (``medpath.analysis.Settings``; None = the protocol's). The
    study's follow-up months are its ``StudyFacts``' (not counted again over every visit row on each page run)."""
    months = list(_facts_of(study).months)
    primary = study.protocol.primary_month
    followup = kept("followup")
    if followup not in months:
        followup = primary if primary in months or not months else months[-1]
    numbers = {name: kept_number(name, None) for name in ("min_points", "min_percent", "lsc")}
    return Settings(
        followup_month=followup,
        alternative=kept("alternative"),  # type: ignore[arg-type]  # kept choices: only values the widgets offer
        zero_method=kept("zero_method"),  # type: ignore[arg-type]
        hl_zeros=kept("hl_zeros"),  # type: ignore[arg-type]
        **numbers,
    )


def _is_sample(study: Study) -> bool:
    """Whether ``study`` is the bundled sample shown without an upload (the same for every session)."""
    return study.synthetic and bool(study.label) and not st.session_state.get(FILES_KEY)


@st.cache_resource(show_spinner=False, max_entries=256)
def _sample_built(protocol_id: str, key: tuple, _build: Callable[[], object]) -> object:
    """A chart or table of a bundled sample, built once per server for ``key`` (it is no user's data)."""
    return _build()


def built_once(study: Study, key: tuple, build: Callable[[], T]) -> T:
    """``build()`` once per study and ``key`` (everything besides the study the result depends on: the chart's or
    table's name, the analysis settings, its layout, the date in its footer): the bundled sample's once per server,
    an upload's once in this session (kept beside the study and released with it). A rerun or another session then
    shows it without building it again (plotly validates every property it is given: building a chart is most of a
    page's server time; a table of 8,000 events is grouped in a tenth of a second). What it returns is shared by
    those runs: read it, never change it."""
    if _is_sample(study):
        return cast(T, _sample_built(study.protocol.id, key, build))
    kept = st.session_state.get(BUILT_KEY)
    if kept is None or kept.get("study") is not study:
        kept = st.session_state[BUILT_KEY] = {"study": study}
    if key not in kept:
        kept[key] = build()
    return kept[key]


def current_analysis(study: Study) -> Analysis:
    """The one analysis of the study with the choices in force, computed once per study and settings: the
    sample's once per server (``st.cache_resource``), an upload's once in this session (kept beside the study,
    never shared). Every page, the report and the slides display it."""
    chosen = settings(study)
    if _is_sample(study):
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
