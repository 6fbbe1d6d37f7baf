"""The mapping step's core (issue 24): the live preview (``medpath.mapping_preview``), one question per text and kind
of field, the texts of a column the user chose (not only of the guessed ones), the answers to the questions about rows
kept through an Apply, the history for Undo, and which refusals the mapping step fixes.

The truths are counted by hand from the bundled sample workbook (30 candidates screened; MSC-01, -04, -08, -15 and -23
enrolled; each of the five has a month-6 T-score and VAS) and from a copy of it whose headers a team renamed
("No. Responden", "Usia (tahun)", "Waktu", "Skor Nyeri") and whose seven yes/no history columns say "Y" / "T"
(Indonesian ya / tidak) -- a text MedPath does not read as yes/no by itself.
"""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
from conftest import xlsx_bytes
from test_mapping import indonesian
from test_row_questions import _two_sites

from medpath.findings import Code
from medpath.mapping_preview import compared, preview_of, profile_changes, read_preview
from medpath.pipeline.map.mapping import (
    Profile,
    answer_text,
    answered_values,
    best_guess,
    fixed_in_mapping,
    other_fields,
    other_label,
    profile_from_choices,
    row_answers,
    unassigned_columns,
    undone,
    unknown_values,
    value_questions,
    with_applied,
)
from medpath.protocol import default_protocol
from medpath.study import SAMPLE_DIR, load_study

SAMPLE = SAMPLE_DIR / "medpath_sample_study.xlsx"
YES_NO = (
    "autoimmune_disease",
    "osteoporosis_related_disease",
    "osteoporosis_drugs",
    "immunosuppressant",
    "anticoagulant",
    "corticosteroid",
    "paralysis_after_surgery",
)
RENAMED = {"patient_id": "No. Responden", "age": "Usia (tahun)", "visit": "Waktu", "vas": "Skor Nyeri"}


def _sheet(name: str) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(SAMPLE.read_bytes()))
    return [list(row) for row in book[name].iter_rows(values_only=True)]


def renamed_sample() -> list[tuple[str, bytes]]:
    """The sample as a team's export: renamed headers, 'Y' / 'T' in the seven yes/no history columns."""
    screening, visits = _sheet("screening"), _sheet("visits")
    yes_no = [screening[0].index(c) for c in YES_NO]
    for row in screening[1:]:
        for i in yes_no:
            row[i] = "Y" if row[i] == "yes" else "T"
    for table in (screening, visits):
        table[0] = [RENAMED.get(str(h), h) for h in table[0]]
    return [("ekspor.xlsx", xlsx_bytes({"Skrining": screening, "Kunjungan": visits}))]


def counts(preview) -> dict[str, object]:
    return dict(zip(preview.counts["count"], preview.counts["value"]))


def test_the_preview_of_the_sample_counts_its_funnel_and_pairs():
    study = load_study([(SAMPLE.name, SAMPLE.read_bytes())], protocol=default_protocol())
    preview = preview_of(study)
    assert counts(preview) == {
        "Screened": 30,
        "Enrolled": 5,
        "Completed": 5,
        "Spine BMD T-score: n pairs": 5,
        "VAS pain: n pairs": 5,
    }
    assert preview.rows == {"screening": 30, "visits": 19} and preview.errors == 0
    assert preview.tables["screening"]["patient_id"].iloc[:3].tolist() == ["MSC-01", "MSC-02", "MSC-03"]
    same = compared(preview, preview)
    assert not same.counts["changed"].any() and same.changed_columns == {"screening": (), "visits": ()}


def test_the_renamed_export_reads_as_the_sample_once_mapped_and_the_preview_says_what_changed():
    files, protocol = renamed_sample(), default_protocol()
    guess = best_guess(files, protocol)
    # "T" in seven yes/no columns is one question, not seven
    assert {f: guess.unknown_values[f] for f in YES_NO} == dict.fromkeys(YES_NO, ("T",))
    (question,) = [q for q in value_questions(guess.unknown_values, guess.schema) if q.kind == "yes_no"]
    assert (question.text, question.fields, question.choices) == ("T", YES_NO, ("yes", "no", "missing"))
    values = answered_values([question], {("yes_no", "T"): "no"})
    assert values == {f: {"T": "no"} for f in YES_NO}

    before = read_preview(files, protocol, None)  # nothing mapped: the screening log cannot be read
    assert counts(before)["Screened"] is None and counts(before)["VAS pain: n pairs"] is None
    assert before.counts["shown"].iloc[0].startswith("not determinable: ")

    choices = {(g.table, g.field): g.best for g in guess.fields}
    profile = profile_from_choices(choices, guess, values, {})
    assert profile.columns == {  # the visits' id too: it repeats once per visit (it was not guessed before)
        "Skrining!No. Responden": "patient_id",
        "Kunjungan!No. Responden": "patient_id",
        "Usia (tahun)": "age",
        "Waktu": "visit",
        "Skor Nyeri": "vas",
    }
    after = compared(read_preview(files, protocol, profile), before)
    assert counts(after) == {
        "Screened": 30,
        "Enrolled": 5,
        "Completed": 5,
        "Spine BMD T-score: n pairs": 5,
        "VAS pain: n pairs": 5,
    }
    assert after.counts["changed"].all() and after.errors == 0
    assert after.counts["at last Apply"].iloc[1] == "not determinable"  # why: the findings of the study in use
    assert "age" in after.changed_columns["screening"] and "vas" in after.changed_columns["visits"]
    # the same numbers as the sample itself
    assert counts(after) == counts(preview_of(load_study([(SAMPLE.name, SAMPLE.read_bytes())], protocol=protocol)))
    changes = profile_changes(None, profile)
    assert changes[0] == "column 'Skrining!No. Responden': patient_id (new)"
    assert "value of autoimmune_disease 'T': no (new)" in changes and len(changes) == 5 + 7
    changed = Profile(columns={"Skrining!No. Responden": "patient_id", "Waktu": "ignore"}, rows={"hidden": "read"})
    assert profile_changes(profile, changed)[:3] == [
        "column 'Waktu': ignore (was: visit)",
        "column 'Usia (tahun)': removed (was: age)",
        "column 'Kunjungan!No. Responden': removed (was: patient_id)",
    ]
    assert "rows 'hidden': read (new)" in profile_changes(profile, changed)


def test_a_column_the_user_chooses_has_its_texts_asked_at_once():
    screening: list[list[object]] = [
        ["Patient ID", "Kolom 2", "Age"],
        ["P1", "Pr", 60],
        ["P2", "Lk", 61],
        ["P3", "Pr", 62],
    ]
    files = [("s.xlsx", xlsx_bytes({"screening": screening}))]
    guess = best_guess(files, default_protocol())
    assert guess.guess("screening", "sex").best is None and "sex" not in guess.unknown_values
    chosen = {("screening", "sex"): guess.columns["screening › Kolom 2"]}
    assert unknown_values(guess, chosen, None) == {"sex": ("Pr", "Lk")}
    assert unknown_values(guess, chosen, Profile(values={"sex": {"Pr": "F"}})) == {"sex": ("Lk",)}


def test_apply_keeps_the_answers_to_the_questions_about_rows_and_what_the_boxes_do_not_show():
    guess = best_guess(indonesian(), default_protocol())
    base = Profile(
        rows={"hidden": "read", "keep": {"Site": "RSCM Jakarta"}},
        fixed={"hbsag": "negative"},
        header={"Skrining": (1,)},
    )
    profile = profile_from_choices({(g.table, g.field): g.best for g in guess.fields}, guess, {}, {}, base)
    assert profile.rows == {"hidden": "read", "keep": {"Site": "RSCM Jakarta"}}
    assert profile.fixed == {"hbsag": "negative"} and profile.header == {"Skrining": (1,)}
    assert profile.columns["Usia (tahun)"] == "age"
    assert "rows:\n  hidden: read\n  keep:\n    Site: RSCM Jakarta\n" in profile.to_yaml()


def test_undo_goes_back_one_apply_at_a_time():
    first, second = Profile(columns={"Usia": "age"}), Profile(columns={"Umur": "age"})
    history = with_applied(with_applied((), None), first)  # applied first, then second
    assert history == (None, first)
    back, history = undone(history)
    assert back == first and history == (None,)
    back, history = undone(history)
    assert back is None and history == ()
    assert len(with_applied(tuple([second] * 20), first)) == 20


def test_a_refusal_points_to_the_mapping_step_only_when_it_can_read_the_file():
    protocol = default_protocol()
    study = load_study(indonesian(), protocol=protocol)
    refusals = [f for f in study.errors if f.row is None and f.column is None]  # refused as a whole
    assert [f.code for f in refusals] == [Code.NO_VISITS_TABLE]
    guess = best_guess(indonesian(), protocol)
    assert all(fixed_in_mapping(f, guess) for f in study.errors)  # + the two sheets' required columns
    damaged = [("rusak.xlsx", b"PK\x03\x04 not a workbook")]
    (refused,) = load_study(damaged, protocol=protocol).errors
    assert refused.code is Code.FILE_NOT_READ
    assert not fixed_in_mapping(refused, best_guess(damaged, protocol))
    assert not fixed_in_mapping(refusals[0], None)


def test_each_question_about_rows_offers_medpaths_proposed_answer_first():
    study = load_study(_two_sites(), protocol=default_protocol())
    (screening, _) = [f for f in study.errors if f.code is Code.ROWS_SEVERAL_SITES]
    assert row_answers(screening) == ("keep", ({"site": "RSCM Jakarta"},))
    assert answer_text({"site": "RSCM Jakarta"}) == "site = RSCM Jakarta"
    hidden = replace(screening, code=Code.ROWS_HIDDEN)
    assert row_answers(hidden) == ("hidden", ("read", "leave out"))
    assert row_answers(replace(screening, code=Code.DUPLICATE_CONFLICT)) == ("duplicates", ("first", "leave out"))
    assert row_answers(replace(screening, code=Code.VALUE_INVALID)) is None


def test_every_field_without_a_box_of_its_own_is_offered_for_the_unknown_columns():
    guess = best_guess(indonesian(), default_protocol())
    fields = other_fields(guess.schema)
    # 3 + 5 outcomes x 5 visits (baseline, month 1, 3, 6, 12) + 9 adverse-event + 5 disposition fields
    assert len(fields) == 3 + 25 + 14 and fields[:4] == ("screening_number", "month", "day", "bmd_tscore baseline")
    assert [other_label(f, guess.schema) for f in ("vas month 6", "ae_onset_date", "disposition_status")] == [
        "VAS pain at month 6",
        "adverse events: onset date",
        "disposition: status",
    ]
    chosen = {(g.table, g.field): g.best for g in guess.fields}
    assert [c.key for c in unassigned_columns(guess, chosen)] == []  # every column has its box
    chosen[("screening", "age")] = None
    assert [c.key for c in unassigned_columns(guess, chosen)] == ["Skrining › Usia (tahun)"]
    profile = profile_from_choices(chosen, guess, {}, {}, others={"Skrining › Usia (tahun)": "screening_number"})
    assert profile.columns["Usia (tahun)"] == "screening_number"
