"""Questions about which rows count (medpath.pipeline.validate.row_questions, issue 23): an error with a proposed answer that blocks
its table's numbers, and one answer -- the mapping step's button or a profile line -- that makes it certain."""

from __future__ import annotations

from conftest import SCREENING_HEADER, screening_row, xlsx_bytes
from workbooks import profile_of

from medpath.findings import Code
from medpath.pipeline.map.mapping import Profile
from medpath.pipeline.validate.row_questions import answered, proposed_answer
from medpath.protocol import default_protocol
from medpath.study import load_study

VISITS_HEADER: list[object] = ["patient_id", "visit", "bmd_tscore", "vas", "site"]


def _two_sites() -> list[tuple[str, bytes]]:
    """Jakarta: P1-P3 screened and followed; Bandung (a sister protocol): B1-B2."""
    screening = [[*SCREENING_HEADER, "site"]]
    visits: list[list[object]] = [list(VISITS_HEADER)]
    for pid, site in [("P1", "RSCM Jakarta"), ("P2", "RSCM Jakarta"), ("P3", "RSCM Jakarta"), ("B1", "RSHS Bandung"),
                      ("B2", "RSHS Bandung")]:  # fmt: skip
        screening.append([*screening_row(pid), site])
        visits += [[pid, "baseline", -3.0, 7, site], [pid, "month 6", -2.8, 4, site]]
    return [("tracker.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))]


def test_several_sites_are_a_question_that_blocks_both_tables_until_answered():
    study = load_study(_two_sites(), protocol=default_protocol())
    questions = [f for f in study.errors if f.code is Code.ROWS_SEVERAL_SITES]
    assert [(q.sheet, q.column, q.value) for q in questions] == [
        ("screening", "site", "RSCM Jakarta"),
        ("visits", "site", "RSCM Jakarta"),
    ]
    assert "'RSCM Jakarta' (3 rows), 'RSHS Bandung' (2 rows)" in questions[0].message
    assert set(study.unread) == {"screening", "visits"}
    assert study.screening["patient_id"].tolist() == ["P1", "P2", "P3"]  # the proposed answer, shown until answered
    assert proposed_answer(questions[0]) == ("keep", {"site": "RSCM Jakarta"})
    confirmed = load_study(_two_sites(), mapping=answered(None, questions[0]), protocol=default_protocol())
    assert not confirmed.errors and not confirmed.unread
    assert confirmed.visits["patient_id"].unique().tolist() == ["P1", "P2", "P3"]
    assert any(f.code is Code.ROWS_KEPT_BY_PROFILE for f in confirmed.warnings)


def test_visits_of_candidates_not_enrolled_are_a_question():
    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2"), screening_row("F1", enrolled="no")]
    visits: list[list[object]] = [VISITS_HEADER[:4]]
    for pid in ("P1", "P2", "F1"):
        visits += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 4]]
    files = [("f.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))]
    study = load_study(files, protocol=default_protocol())
    (question,) = study.errors
    assert question.code is Code.VISITS_NOT_ENROLLED and question.value == "F1" and set(study.unread) == {"visits"}
    assert study.patient_ids == ["P1", "P2"]  # left out, as proposed
    kept = load_study(files, mapping=Profile(rows={"not enrolled visits": "analyse"}), protocol=default_protocol())
    assert kept.patient_ids == ["P1", "P2", "F1"] and not kept.unread
    assert answered(Profile(rows={"hidden": "read"}), question) == Profile(
        rows={"hidden": "read", "not enrolled visits": "leave out"}
    )


def test_an_id_written_two_ways_and_a_remark_of_carried_forward_values_are_questions():
    screening = [SCREENING_HEADER, screening_row("MSC 01"), screening_row("MSC 02")]
    visits: list[list[object]] = [["patient_id", "visit", "bmd_tscore", "vas", "Keterangan"]]
    for pid in ("MSC-01", "MSC-02"):
        visits += [[pid, "baseline", -3.0, 7, None], [pid, "month 6", -2.8, 4, None]]
    visits[-1][-1] = "drop out bln 4, data LOCF"  # MSC-02's month 6: carried forward, not measured
    files = [("s.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))]
    study = load_study(files, protocol=default_protocol())
    codes = {f.code: f for f in study.errors}
    assert set(codes) == {Code.ID_SPELLING, Code.REMARK_NOT_MEASURED} and set(study.unread) == {"visits"}
    assert "'MSC-01' = 'MSC 01'" in codes[Code.ID_SPELLING].message and codes[Code.REMARK_NOT_MEASURED].row == 5
    assert study.visits["patient_id"].tolist() == ["MSC 01", "MSC 01", "MSC 02"]  # as proposed
    answers = Profile(rows={"id spelling": "same", "remarks": "leave out"})
    confirmed = load_study(files, mapping=answers, protocol=default_protocol())
    assert not confirmed.errors and confirmed.visits["patient_id"].tolist() == ["MSC 01", "MSC 01", "MSC 02"]
    kept = load_study(
        files, mapping=Profile(rows={"id spelling": "different", "remarks": "read"}), protocol=default_protocol()
    )
    assert kept.visits["patient_id"].tolist() == ["MSC-01", "MSC-01", "MSC-02", "MSC-02"]


def test_an_unanswered_question_about_the_visits_gives_no_statistic_and_says_why():
    from medpath.analysis import analyse
    from medpath.summary import summarise

    screening = [SCREENING_HEADER, screening_row("P1"), screening_row("P2"), screening_row("F1", enrolled="no")]
    visits: list[list[object]] = [VISITS_HEADER[:4]]
    for pid in ("P1", "P2", "F1"):
        visits += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 4]]
    files = [("f.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))]
    blocked = summarise(analyse(load_study(files, protocol=default_protocol())))
    assert blocked["outcomes"] == {} and blocked["secondary"] == {}
    assert "f.xlsx, sheet 'visits'" in blocked["outcomes_not_determinable"]
    answered_ = summarise(
        analyse(
            load_study(files, mapping=Profile(rows={"not enrolled visits": "leave out"}), protocol=default_protocol())
        )
    )
    assert answered_["outcomes_not_determinable"] is None
    assert answered_["outcomes"]["bmd_tscore"]["n_pairs"] == 2  # P1 and P2: the screen failure's rows left out


def test_a_profile_names_the_columns_of_an_adverse_event_sheet_nobody_recognises():
    """Issue 23 item 2 (one engine): the profile's columns: names adverse-event fields too (ae_term, ae_serious ...);
    the sheet is then read as the adverse events, by the same header and row rules as the others (its Total row
    is left out)."""
    from medpath.analysis import analyse
    from medpath.summary import summarise

    visits: list[list[object]] = [VISITS_HEADER[:4]]
    for pid in ("P1", "P2"):
        visits += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 4]]
    events = [
        ["Kode", "Kejadian", "Derajat CTCAE", "Serius (Ya/Tidak)", "Keterkaitan"],
        ["P1", "Nyeri lokal", 1, "Tidak", "Mungkin"],
        ["P2", "Demam", 3, "Ya", "Tidak berhubungan"],
        ["Total", 2, None, None, None],
    ]
    files = [("s.xlsx", xlsx_bytes({"visits": visits, "Catatan KTD": events}))]
    unread = summarise(analyse(load_study(files, protocol=default_protocol())))
    assert unread["adverse_events"]["events"] is None  # not recognised: not read, never 0
    profile = profile_of(
        "columns:\n  Kode: ae_patient_id\n  Kejadian: ae_term\n  Derajat CTCAE: ae_grade\n"
        "  Serius (Ya/Tidak): ae_serious\n  Keterkaitan: ae_relatedness\n"
    )
    harms = summarise(analyse(load_study(files, mapping=profile, protocol=default_protocol())))["adverse_events"]
    assert (harms["status"], harms["events"], harms["patients"], harms["serious"]) == ("read", 2, 2, 1)


def test_more_patients_than_the_protocols_target_is_said():
    """NCT04501354's target is 5: six enrolled patients with visits are named in a warning (not a question: a trial
    may over-enrol), five are not."""
    protocol = default_protocol()
    assert protocol.target_n == 5

    def files(ids: list[str]) -> list[tuple[str, bytes]]:
        screening = [SCREENING_HEADER, *(screening_row(pid) for pid in ids)]
        visits: list[list[object]] = [VISITS_HEADER[:4]]
        for pid in ids:
            visits += [[pid, "baseline", -3.0, 7], [pid, "month 6", -2.8, 4]]
        return [("f.xlsx", xlsx_bytes({"screening": screening, "visits": visits}))]

    six = load_study(files([f"P{i}" for i in range(1, 7)]), protocol=protocol)
    (above,) = [f for f in six.warnings if f.code is Code.ENROLLED_ABOVE_TARGET]
    assert above.value == 6 and "target of 5" in above.message
    five = load_study(files([f"P{i}" for i in range(1, 6)]), protocol=protocol)
    assert not [f for f in five.findings if f.code is Code.ENROLLED_ABOVE_TARGET]
