"""The Data page's mapping step (issue 12) and its columns table (issue 11.1): a component, not a page.

Everything it shows comes from ``medpath.pipeline.map.mapping`` (the best guess), ``medpath.pipeline.map.profile`` (the profile) and
``Study.columns``; the profile the user applies is kept in this session's ``st.session_state[PROFILE_KEY]`` beside the
uploaded files, so the study is parsed once per (files, profile) by ``pages.session.current_study``. The guess is kept
per (schema, files, profile): it is of one protocol's fields. Nothing is written to disk.

Text from the files (column headers, sample values, values not understood, sheet names) goes through
``pages.components.literal`` in widget labels and help, which Streamlit renders as Markdown, and through ``plain`` in
select-box options, which it draws as text.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from medpath.findings import Code
from medpath.model import Study
from medpath.pipeline.map.mapping import MappingGuess, best_guess, profile_filename, profile_from_choices
from medpath.pipeline.map.profile import IGNORE, Profile, ProfileError, label, parse_profile, value_choices
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.validate.row_questions import QUESTIONS, answered
from pages.components import literal, plain, table
from pages.session import FILES_KEY, PROFILE_KEY, current_protocol

GUESS_KEY = "mapping_guess"  # ((schema, digest of files and profile), MappingGuess)
PROFILE_ERROR_KEY = "mapping_profile_error"
PROFILE_UPLOAD_GENERATION = "mapping_profile_generation"
NOT_IN_FILE = "— not in the file —"
AUTOMATIC = "automatic"
TABLE_TITLES = {"screening": "Screening table (one row per candidate)", "visits": "Visits table (one row per visit)"}


def _digest(files, profile: Profile | None) -> str:
    sha = hashlib.sha256()
    for name, data in files:
        sha.update(name.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(data).digest())
    sha.update(profile.to_yaml().encode() if profile else b"")
    return sha.hexdigest()


def current_guess(files) -> MappingGuess:
    """The best guess for these files and the profile in use (computed once per pair, kept in the session)."""
    profile = st.session_state.get(PROFILE_KEY)
    protocol = current_protocol()
    key = (schema_of(protocol), _digest(files, profile))  # a guess is of one protocol's fields: its schema's
    kept = st.session_state.get(GUESS_KEY)
    if kept is None or kept[0] != key:
        kept = (key, best_guess(list(files), protocol, profile))
        st.session_state[GUESS_KEY] = kept
    return kept[1]


# ------------------------------------------------------------------------------------------ the columns table


def columns_table(study: Study) -> None:
    """Every column of every sheet: the field it is read as ("T-score L1-L4 → spine BMD T-score"), or why not."""
    columns = study.columns
    if columns.empty:
        return
    schema = schema_of(study.protocol)
    used = columns["status"].isin(["used", "profile"])
    st.subheader("Columns")
    st.caption(
        f"{int(used.sum())} of {len(columns)} column(s) used. Every column of every sheet is listed: the field "
        "it is read as, or why it is not used."
        + (" Open **Mapping** above to change it." if _offered_guess() is not None else "")
    )
    shown = pd.DataFrame(
        {
            "Sheet": [s if s is not None else f for f, s in zip(columns["file"], columns["sheet"])],
            "Read as": [
                f"{h} → {', '.join(label(x.strip(), schema) for x in f.split(','))}" if u else f"{h} → not used"
                for h, f, u in zip(columns["header"], columns["field"].fillna(""), used)
            ],
            "Status": columns["status"],
            "Note": columns["note"].fillna(""),
        }
    )
    table(
        shown,
        Note=st.column_config.TextColumn("Note", width="large"),
        **{"Read as": st.column_config.TextColumn("Read as", width="large")},
    )


# ------------------------------------------------------------------------------------------ the mapping step


def _confirm(question) -> None:
    """One click on a question's button: its proposed answer joins the session's mapping profile."""
    st.session_state[PROFILE_KEY] = answered(st.session_state.get(PROFILE_KEY), question)


def _on_profile_upload(key: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is None:
        return
    try:
        profile = parse_profile(uploaded.getvalue(), uploaded.name, current_protocol())
    except ProfileError as error:
        st.session_state[PROFILE_ERROR_KEY] = error.lines()
    else:
        st.session_state[PROFILE_KEY] = profile
        st.session_state.pop(PROFILE_ERROR_KEY, None)
    st.session_state[PROFILE_UPLOAD_GENERATION] = st.session_state.get(PROFILE_UPLOAD_GENERATION, 0) + 1


def _remove_profile() -> None:
    st.session_state.pop(PROFILE_KEY, None)
    st.session_state.pop(PROFILE_ERROR_KEY, None)


def profile_controls(study: Study) -> None:
    """The profile in use, its download, and an uploader for a profile to use with this or the next export."""
    profile: Profile | None = st.session_state.get(PROFILE_KEY)
    left, right = st.columns([3, 2], gap="large")
    with left:
        key = f"profile_upload_{st.session_state.get(PROFILE_UPLOAD_GENERATION, 0)}"
        st.file_uploader(
            "Use a mapping profile (YAML or JSON) with this and the next upload",
            type=["yaml", "yml", "json"],
            key=key,
            on_change=_on_profile_upload,
            args=(key,),
            help="A profile downloaded here last month: the team's column names, values and sheets. "
            "It stays for this browser session, also when you upload the next export.",
        )
        refused = st.session_state.get(PROFILE_ERROR_KEY) or []
        if refused:  # one box, however many problems (at most 50 and a count: medpath.located_yaml)
            st.error(
                "Profile refused:\n\n" + "\n".join(f"- {literal(line)}" for line in refused), icon=":material/error:"
            )
    with right:
        if profile:
            st.markdown(
                f"**Mapping profile in use:** {literal(profile.name)} — {len(profile.columns)} column(s), "
                f"{sum(len(v) for v in profile.values.values())} value(s), {len(profile.sheets)} sheet(s)"
            )
            st.download_button(
                "Download mapping profile (YAML)",
                profile.to_yaml().encode("utf-8"),
                file_name=profile_filename(study.label),
                mime="application/x-yaml",
                key="download-profile",
                on_click="ignore",
                type="primary",
            )
            st.button("Stop using this profile", on_click=_remove_profile)
        else:
            st.caption("No mapping profile in use. Apply a mapping below to download it as a profile.")


def _column_choice(guess: MappingGuess, key: str | None) -> str:
    if key is None:
        return NOT_IN_FILE
    column = guess.columns.get(key)
    samples = ", ".join(column.samples) if column and column.samples else "no values"
    return plain(f"{key}  (e.g. {samples})")


def _offered_guess() -> MappingGuess | None:
    """The best guess for the uploaded files when there is something to map (the mapping step is shown), else None."""
    files = st.session_state.get(FILES_KEY)
    if not files:
        return None
    guess = current_guess(files)
    return guess if guess.columns else None  # no table could be read (a refused file): the refusal says why


def mapping_step(study: Study) -> None:
    """One select box per field (pre-filled with the best guess, with three sample values), one per value not
    understood, one per sheet; "Apply" turns the choices into the profile the study is read with."""
    guess = _offered_guess()
    if guess is None:
        return
    files = st.session_state[FILES_KEY]
    attention = guess.needs_attention
    questions = [f for f in study.errors if f.code in QUESTIONS]
    missing_required = bool(questions) or any(f.code is Code.COLUMN_REQUIRED_MISSING for f in study.errors)
    title = "Mapping: which column is which field" + (" — needs your answer" if attention or missing_required else "")
    with st.expander(title, expanded=bool(attention or missing_required), icon=":material/table_edit:"):
        if attention:
            st.warning(
                "MedPath needs your answer (nothing below is read until you apply it):\n\n"
                + "\n".join(f"- {literal(why)}" for why in attention[:12])
                + (f"\n- … and {len(attention) - 12} more" if len(attention) > 12 else ""),
                icon=":material/help:",
            )
        for k, question in enumerate(questions):
            st.error(literal(question.message), icon=":material/help:")
            st.button(
                "Confirm MedPath's proposed answer",
                key=f"answer_{k}",
                on_click=_confirm,
                args=(question,),
                help="Adds the answer to the mapping profile (rows:), which you can download for next month.",
            )
        profile_controls(study)
        options = [None, *guess.columns]
        stamp = _digest(files, st.session_state.get(PROFILE_KEY))[:12]
        with st.form(f"mapping_form_{stamp}", border=False):
            choices = {}
            for kind in ("screening", "visits"):
                st.markdown(f"**{TABLE_TITLES[kind]}**")
                fields = [g for g in guess.fields if g.table == kind]
                grid = st.columns(3)
                for n, g in enumerate(fields):
                    default = g.best.key if g.best else None
                    help_text = None
                    if g.ambiguous:
                        help_text = (
                            "Several columns could be this field: "
                            + "; ".join(literal(c.key) for c in g.candidates[:4])
                            + ". Choose the one to analyse."
                        )
                    with grid[n % 3]:
                        chosen = st.selectbox(
                            ("⚠ " if g.ambiguous else "") + label(g.field, guess.schema),
                            options,
                            index=options.index(default),
                            format_func=lambda k: _column_choice(guess, k),
                            key=f"map_{stamp}_{kind}_{g.field}",
                            help=help_text,
                        )
                    choices[(kind, g.field)] = guess.columns.get(chosen) if chosen else None
            values: dict[str, dict[str, str]] = {}
            if guess.unknown_values:
                st.markdown("**Values not understood** — what does each text mean?")
                grid = st.columns(3)
                n = 0
                for field_name, texts in guess.unknown_values.items():
                    for text in texts:
                        with grid[n % 3]:
                            answer = st.selectbox(
                                f"{label(field_name, guess.schema)}: '{literal(text)}'",
                                value_choices(field_name, guess.schema),
                                index=None,
                                placeholder="choose…",
                                key=f"value_{stamp}_{field_name}_{text}",
                            )
                        n += 1
                        if answer:
                            values.setdefault(field_name, {})[text] = answer
            st.markdown("**Sheets** — what each sheet holds (one sheet per visit: choose its visit)")
            sheets: dict[str, str] = {}
            grid = st.columns(3)
            for n, sheet in enumerate(s for s in guess.sheets if s.sheet is not None):
                automatic = f"{AUTOMATIC} ({sheet.kind or 'not used'})"
                with grid[n % 3]:
                    use = st.selectbox(
                        f"Sheet '{literal(sheet.sheet)}'",
                        [automatic, "screening", "visits", *study.protocol.visit_labels, "not used"],
                        key=f"sheet_{stamp}_{sheet.sheet}",
                    )
                if use != automatic:
                    sheets[str(sheet.sheet)] = IGNORE if use == "not used" else use
            applied = st.form_submit_button("Apply", type="primary", icon=":material/check:")
        if applied:
            base = st.session_state.get(PROFILE_KEY)
            profile = profile_from_choices(choices, guess, values, sheets, base)
            st.session_state[PROFILE_KEY] = profile if profile else None
            st.rerun()
