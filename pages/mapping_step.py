"""The Data page's mapping step (issues 12 and 24) and its columns table (issue 11.1): a component, not a page.

Everything it shows comes from ``medpath.pipeline.map.mapping`` (the best guess, the value questions, the history),
``medpath.pipeline.map.profile`` (the profile), ``medpath.mapping_preview`` (the live preview) and ``Study.columns``;
the profile the user applies is kept in this session's ``st.session_state[PROFILE_KEY]`` beside the uploaded files,
so the study is parsed once per (files, profile) by ``pages.session.current_study``. The guess is kept per (schema,
files, profile): it is of one protocol's fields; the preview per (schema, files, proposed profile); the profiles
applied before, for Undo, in ``HISTORY_KEY``. The boxes are not in a form: each change reruns the page and the
preview reads the files with the profile the boxes make now. Nothing is written to disk.

Text from the files (column headers, sample values, values not understood, sheet names) goes through
``pages.components.literal`` in widget labels and help, which Streamlit renders as Markdown, and through ``plain`` in
select-box options, which it draws as text.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from medpath.findings import Code, Finding
from medpath.mapping_preview import PREVIEW_ROWS, Preview, compared, preview_of, profile_changes, read_preview
from medpath.model import Study
from medpath.pipeline.map.mapping import (
    Candidate,
    MappingGuess,
    answer_text,
    answered_values,
    fixed_in_mapping,
    other_fields,
    other_label,
    profile_filename,
    profile_from_choices,
    row_answers,
    unassigned_columns,
    undone,
    unknown_values,
    value_questions,
    with_applied,
)
from medpath.pipeline.map.profile import IGNORE, Profile, ProfileError, label, parse_profile
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.validate.row_questions import QUESTIONS
from pages.components import literal, plain, table, text_table
from pages.session import FILES_KEY, PROFILE_KEY, current_guess, current_protocol

PREVIEW_KEY = "mapping_preview"  # {(schema, digest of files and profile): Preview}: the applied and the proposed
HISTORY_KEY = "mapping_history"  # the profiles applied before, oldest first (medpath.pipeline.map.mapping.with_applied)
STEP_KEY = "mapping_step_open"  # whether the step (an expander) is open
STEP_STUDY_KEY = "mapping_step_study"  # the digest of the files and profile the step was opened or closed for
KEEP_OPEN = "keep open"  # in STEP_STUDY_KEY after an Apply or Undo: the step stays open for the study it reads
RESET_KEY = "mapping_resets"  # how many times the boxes were set back to MedPath's guesses (part of their keys)
HELD_PROFILE_KEY = "mapping_held_profile"  # a profile in use when another upload arrived: kept only if asked to
PROFILE_ERROR_KEY = "mapping_profile_error"
PROFILE_UPLOAD_GENERATION = "mapping_profile_generation"
NOT_IN_FILE = "— not in the file —"
AUTOMATIC = "automatic"
TABLE_TITLES = {"screening": "Screening table (one row per candidate)", "visits": "Visits table (one row per visit)"}
KIND_NAMES = {"yes_no": "yes/no", "test": "test result", "consent": "consent", "sex": "sex", "visit": "visit"}
STEP_TITLE = "Mapping: which column is which field"
NOT_USED = "not used"
NOT_DATA = "not data (ignore)"  # an other column the user says holds nothing to read: ``ignore`` in the profile
MAX_OTHER_COLUMNS = 30  # beyond this many unknown columns, the rest are named in a profile


def _digest(files, profile: Profile | None) -> str:
    sha = hashlib.sha256()
    for name, data in files:
        sha.update(name.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(data).digest())
    sha.update(profile.to_yaml().encode() if profile else b"")
    return sha.hexdigest()


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
        + (" Open **Mapping** above to change it." if offered_guess() is not None else "")
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


def _use(profile: Profile | None) -> None:
    """Apply ``profile`` (None: MedPath's guesses alone); the profile it replaces is the one Undo goes back to."""
    previous = st.session_state.get(PROFILE_KEY)
    st.session_state[HISTORY_KEY] = with_applied(st.session_state.get(HISTORY_KEY, ()), previous)
    st.session_state[PROFILE_KEY] = profile or None
    st.session_state[STEP_STUDY_KEY] = KEEP_OPEN


def _undo() -> None:
    profile, st.session_state[HISTORY_KEY] = undone(st.session_state[HISTORY_KEY])
    st.session_state[PROFILE_KEY] = profile
    st.session_state[STEP_STUDY_KEY] = KEEP_OPEN


def _reset() -> None:
    """Back to MedPath's guesses: no profile, and every box set back to its guess."""
    _use(None)
    st.session_state.pop(PROFILE_ERROR_KEY, None)
    st.session_state[RESET_KEY] = st.session_state.get(RESET_KEY, 0) + 1


def hold_profile_for_new_upload() -> None:
    """A new upload replaces the study: the profile in use (made for the previous files) is held aside, not applied,
    until the user says to keep it (``profile_question``)."""
    if st.session_state.get(PROFILE_KEY):
        st.session_state[HELD_PROFILE_KEY] = st.session_state.pop(PROFILE_KEY)
        st.session_state.pop(HISTORY_KEY, None)  # Undo steps back within one upload, never to another's profile


def _keep_held(keep: bool) -> None:
    held = st.session_state.pop(HELD_PROFILE_KEY, None)
    if keep:
        st.session_state[PROFILE_KEY] = held


def profile_question() -> None:
    """Ask whether the profile of the previous upload is to read this one (it is not applied until then)."""
    held: Profile | None = st.session_state.get(HELD_PROFILE_KEY)
    if held is None:
        return
    with st.container(border=True):
        st.error(  # a question: the numbers below are read without the profile until it is answered
            f"The mapping profile **{literal(held.name)}** ({len(held.columns)} column(s), "
            f"{sum(len(v) for v in held.values.values())} value(s), {len(held.sheets)} sheet(s)) was in use for the "
            "previous upload. This file is read without it until you choose. MedPath proposes to keep it (next "
            "month's export of the same study); drop it for another study.",
            icon=":material/help:",
        )
        keep, drop, _ = st.columns([1, 1, 4])
        keep.button("Keep the profile", on_click=_keep_held, args=(True,), type="primary", key="profile_keep")
        drop.button("Drop the profile", on_click=_keep_held, args=(False,), key="profile_drop")


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
        else:
            st.caption("No mapping profile in use. Apply a mapping below to download it as a profile.")
        history = st.session_state.get(HISTORY_KEY, ())
        st.button(
            "Undo the last Apply",
            on_click=_undo,
            disabled=not history,
            icon=":material/undo:",
            help="Back to the mapping in use before the last Apply (or reset, or answer).",
        )
        st.button(
            "Back to MedPath's guesses",
            on_click=_reset,
            icon=":material/restart_alt:",
            help="Stop using the profile and set every box back to MedPath's guess (Undo brings the profile back).",
        )


def _column_choice(guess: MappingGuess, key: str) -> str:
    column = guess.columns.get(key)
    if column is None:
        return NOT_IN_FILE
    samples = ", ".join(column.samples) if column.samples else "no values"
    return plain(f"{key}  (e.g. {samples})")


def offered_guess() -> MappingGuess | None:
    """The best guess for the uploaded files when there is something to map (the mapping step is shown), else None."""
    guess = current_guess()
    if guess is None:
        return None
    return guess if guess.columns else None  # no table could be read (a refused file): the refusal says why


def refusal_next_step(refusal: Finding) -> str:
    """The next step a refusal names: the mapping step when it can read the file and fixes this kind of refusal
    (decided by the finding's code, ``fixed_in_mapping``), else correcting the file."""
    if fixed_in_mapping(refusal, offered_guess()):
        return (
            f"open the mapping step below (**{STEP_TITLE}**) and choose the column for each field, or what each "
            "sheet holds; **Apply** reads the file again"
        )
    return "correct the file as this says and upload it again (a new upload replaces the study)"


def _row_questions(study: Study) -> None:
    """MedPath's questions about which rows count, each with its proposed answer pre-chosen; confirming puts the
    answer in the profile's ``rows:`` section (kept in the downloaded profile)."""
    for k, question in enumerate(f for f in study.errors if f.code in QUESTIONS):
        offered = row_answers(question)
        if offered is None:
            continue
        key, answers = offered
        st.error(literal(question.message), icon=":material/help:")
        left, right = st.columns([2, 1], vertical_alignment="bottom")
        shown = [answer_text(a) + ("  (MedPath's proposed answer)" if n == 0 else "") for n, a in enumerate(answers)]
        with left:
            chosen = st.selectbox(f"Answer (rows: {key})", shown, key=f"row_answer_{k}_{key}")
        with right:
            if st.button("Confirm this answer", key=f"answer_{k}", help="Adds it to the mapping profile (rows:)."):
                base = st.session_state.get(PROFILE_KEY) or Profile()
                _use(replace(base, rows={**base.rows, key: answers[shown.index(chosen)]}))
                st.rerun()


def _field_boxes(guess: MappingGuess, stamp: str) -> dict[tuple[str, str], Candidate | None]:
    """One select box per field, pre-filled with the best guess; a box changed from it says so."""
    options = [NOT_IN_FILE, *guess.columns]
    choices: dict[tuple[str, str], Candidate | None] = {}
    for kind in ("screening", "visits"):
        st.markdown(f"**{TABLE_TITLES[kind]}**")
        grid = st.columns(3)
        for n, g in enumerate(g for g in guess.fields if g.table == kind):
            default = g.best.key if g.best else NOT_IN_FILE
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
                if chosen != default:
                    st.caption(f"● changed (MedPath's guess: {plain(default)})")
            choices[(kind, g.field)] = guess.columns.get(chosen)
    return choices


def _other_boxes(guess: MappingGuess, choices, applied: Profile | None, stamp: str) -> dict[str, str | None]:
    """One select box per column no box chose and MedPath does not know, offering every other field a profile can
    name (an outcome at one visit, the screening number, the adverse-event and disposition fields)."""
    columns = unassigned_columns(guess, choices)
    if not columns:
        return {}
    st.markdown(
        "**Other columns** — not read now: choose what a column holds if it is data (an outcome at one visit, the "
        "screening number, an adverse-event or disposition field), or say it is not data (then it is never asked "
        "about again, e.g. when a primary outcome is missing from the export)"
    )
    fields = other_fields(guess.schema)
    options = [NOT_USED, IGNORE, *fields]
    grid = st.columns(3)
    out: dict[str, str | None] = {}
    for n, column in enumerate(columns[:MAX_OTHER_COLUMNS]):
        rule = applied.column_rule(column.sheet, column.header) if applied else None
        default = rule if rule in fields or rule == IGNORE else NOT_USED
        with grid[n % 3]:
            chosen = st.selectbox(
                literal(column.key),
                options,
                index=options.index(default),
                format_func=lambda f: (
                    NOT_DATA if f == IGNORE else f if f == NOT_USED else plain(other_label(f, guess.schema))
                ),
                key=f"other_{stamp}_{column.key}",
                help="e.g. " + ", ".join(map(literal, column.samples)) if column.samples else "no values",
            )
        if chosen != default:  # only a change: a column the profile ignores stays ignored
            out[column.key] = None if chosen == NOT_USED else chosen
    if len(columns) > MAX_OTHER_COLUMNS:
        st.caption(
            f"… and {len(columns) - MAX_OTHER_COLUMNS} more column(s): name them in a profile (docs/your-data.md)."
        )
    return out


def _value_boxes(guess: MappingGuess, choices, applied: Profile | None, stamp: str) -> dict[str, dict[str, str]]:
    """One select box per text not understood and kind of field, for the columns chosen now: its answer is given to
    every column of that kind holding the text."""
    questions = value_questions(unknown_values(guess, choices, applied), guess.schema)
    if not questions:
        return {}
    st.markdown(
        f"**Values not understood** — what does each text mean? ({len(questions)} question(s); one answer is used "
        "for every column of its kind)"
    )
    grid = st.columns(3)
    answers: dict[tuple[str, str], str | None] = {}
    for n, q in enumerate(questions):
        fields = [label(f, guess.schema) for f in q.fields]
        name = fields[0] if len(fields) == 1 else f"{KIND_NAMES[q.kind]} ({len(fields)} columns)"
        with grid[n % 3]:
            answers[(q.kind, q.text)] = st.selectbox(
                f"{name}: '{literal(q.text)}'",
                q.choices,
                index=None,
                placeholder="choose…",
                key=f"value_{stamp}_{q.kind}_{q.text}",
                help=None if len(fields) == 1 else "For " + ", ".join(literal(f) for f in fields),
            )
    return answered_values(questions, answers)


def _sheet_boxes(guess: MappingGuess, study: Study, stamp: str) -> dict[str, str]:
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
    return sheets


def _preview(files, profile: Profile | None) -> Preview:
    """The preview of the files read with ``profile``, kept per (schema, files, profile) in the session."""
    protocol = current_protocol()
    key = (schema_of(protocol), _digest(files, profile or None))
    kept: dict = st.session_state.setdefault(PREVIEW_KEY, {})
    if key not in kept:
        if len(kept) > 3:  # the applied and a few proposed ones (each holds its tables)
            kept.clear()
        kept[key] = read_preview(files, protocol, profile)
    return kept[key]


def _unchanged(proposed: Profile | None, applied: Profile | None) -> bool:
    """Whether the boxes propose the profile in use (nothing to apply)."""
    return (proposed.as_dict() if proposed else {}) == (applied.as_dict() if applied else {})


def _show_preview(files, study: Study, applied: Profile | None, proposed: Profile, same: bool) -> None:
    """The study as the boxes read it now, beside the study read at the last Apply: counts, tables, changes."""
    schema_key = (schema_of(study.protocol), _digest(files, applied or None))
    kept: dict = st.session_state.setdefault(PREVIEW_KEY, {})
    if schema_key not in kept:  # the preview of the study in use, made once
        kept[schema_key] = preview_of(study)
    before = kept[schema_key]
    now = compared(before if same else _preview(files, proposed), before)
    changes = [] if same else profile_changes(applied, proposed)
    st.markdown(
        "**Preview: the study as these choices read it**"
        + (" — as at the last Apply" if same else f" — ● {len(changes)} change(s) not applied yet")
    )
    if changes:
        st.caption(
            "Changed since the last Apply: "
            + "; ".join(plain(c) for c in changes[:20])
            + (f"; … and {len(changes) - 20} more" if len(changes) > 20 else "")
        )
    counts = now.counts.assign(changed=["● changed" if c else "" for c in now.counts["changed"]])
    text_table(  # a static table: five rows whose reasons wrap, readable at 1280 px
        counts[["count", "shown", "at last Apply", "changed"]].rename(
            columns={"count": "Count", "shown": "With these choices", "at last Apply": "At the last Apply"}
        )
    )
    st.caption(f"{now.errors} error(s) with these choices (at the last Apply: {before.errors}).")
    names = [k for k in ("screening", "visits") if k in now.tables]
    for kind, tab in zip(names, st.tabs([TABLE_TITLES[k] for k in names])):
        with tab:
            changed = now.changed_columns.get(kind, ())
            rows = now.rows[kind]
            every = len(changed) == len(now.tables[kind].columns)
            st.caption(
                f"{min(rows, PREVIEW_ROWS)} of {rows} row(s)"
                + ("; ● every column is new or changed since the last Apply" if changed and every else "")
                + (
                    f"; ● changed since the last Apply: {', '.join(map(plain, changed))}"
                    if changed and not every
                    else ""
                )
            )
            table(now.tables[kind].rename(columns={c: f"● {c}" for c in changed}))


def mapping_step(study: Study) -> None:
    """One select box per field (pre-filled with the best guess, with three sample values), one per value not
    understood (once per kind of field), one per sheet, MedPath's questions about rows with their proposed answers,
    the preview of the study these choices read; "Apply" turns the choices into the profile the study is read with,
    "Undo" and "Back to MedPath's guesses" go back."""
    guess = offered_guess()
    if guess is None:
        return
    files = st.session_state[FILES_KEY]
    applied: Profile | None = st.session_state.get(PROFILE_KEY)
    attention = guess.needs_attention
    questions = any(f.code in QUESTIONS for f in study.errors)
    refused = any(fixed_in_mapping(f, guess) for f in study.errors)
    missing_required = questions or refused or any(f.code is Code.COLUMN_REQUIRED_MISSING for f in study.errors)
    needed = bool(attention or missing_required)
    title = STEP_TITLE + (" — needs your answer" if needed else "")
    digest = _digest(files, applied)
    if st.session_state.get(STEP_STUDY_KEY) != digest:  # another study: the step opens by itself when it must, and
        # stays open after an Apply or Undo made in it
        st.session_state[STEP_KEY] = needed or st.session_state.get(STEP_STUDY_KEY) == KEEP_OPEN
        st.session_state[STEP_STUDY_KEY] = digest
    with st.expander(title, icon=":material/table_edit:", key=STEP_KEY, on_change="rerun") as step:
        if attention:
            st.warning(
                "MedPath needs your answer (nothing below is read until you apply it):\n\n"
                + "\n".join(f"- {literal(why)}" for why in attention[:12])
                + (f"\n- … and {len(attention) - 12} more" if len(attention) > 12 else ""),
                icon=":material/help:",
            )
        _row_questions(study)
        profile_controls(study)
        if not step.open:  # the boxes are made when it is opened (dozens of them: half a second of the browser's
            return  # time on every view of the page, issue 28)
        stamp = digest[:12] + str(st.session_state.get(RESET_KEY, 0))
        choices = _field_boxes(guess, stamp)
        others = _other_boxes(guess, choices, applied, stamp)
        values = _value_boxes(guess, choices, applied, stamp)
        sheets = _sheet_boxes(guess, study, stamp)
        proposed = profile_from_choices(choices, guess, values, sheets, applied, others)
        unchanged = _unchanged(proposed, applied)
        if needed or applied is not None or not unchanged:
            _show_preview(files, study, applied, proposed, unchanged)
        else:  # a file read as it is, no profile, no box changed: the preview would be the study itself (two grids)
            st.caption("Change a box above to preview the study as it would be read, before you apply it.")
        if st.button("Apply", type="primary", icon=":material/check:", key="mapping-apply"):
            _use(proposed)
            st.rerun()
