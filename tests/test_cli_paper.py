"""``medpath summary --json`` and ``medpath report`` carry the participant flow, Table 1, adverse events and secondary
outcomes (issue 13), with the sample's hand counts (reasoning in tests/test_consort.py and tests/test_adverse_events.py).
The CLI runs in this process (``medpath.cli.main``)."""

from __future__ import annotations

import json

from conftest import SCREENING_HEADER, screening_row, visits_rows, xlsx_bytes

from medpath.cli import main


def _json(capsys, *argv):
    capsys.readouterr()
    assert main(["summary", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_json_consort_baseline_adverse_events_secondary(capsys):
    data = _json(capsys, "--sample")
    consort = data["consort"]
    assert (consort["assessed"], consort["enrolled"], consort["received_intervention"]) == (30, 5, 5)
    assert consort["excluded"]["n"] == 25 == sum(r["n"] for r in consort["excluded"]["reasons"])
    assert [(c["label"], c["n"]) for c in consort["excluded"]["categories"]] == [
        ("Not meeting eligibility criteria", 20),
        ("Declined to participate", 2),
        ("Other reasons", 3),
    ]
    assert consort["lost_to_follow_up"]["n"] == 0 and consort["discontinued"]["n"] == 0
    assert consort["analysed"] == {"bmd_tscore": 5, "vas": 5}
    baseline = {row["characteristic"]: row for row in data["baseline"]}
    assert baseline["Age, years"]["summary"] == "65 (64 to 67)" and baseline["Age, years"]["n"] == 5
    assert baseline["Sex: female"]["summary"] == "4 (80 %)"
    ae = data["adverse_events"]
    assert (ae["events"], ae["patients"], ae["serious"]) == (7, 4, 1)
    assert {"grade": 3, "relatedness": "unrelated", "patients": 1, "events": 1} in ae["by_grade_relatedness"]
    secondary = data["secondary"]
    assert set(secondary) == {"bmd_g_cm2", "rom_deg", "qol"}
    bmd = secondary["bmd_g_cm2"]
    assert (bmd["gain"], bmd["stable"], bmd["loss"], bmd["n_pairs"]) == (3, 2, 0, 5)
    assert abs(bmd["lsc"] - 0.0277) < 1e-12 and bmd["p_holm"] is None
    assert set(data["outcomes"]) == {"bmd_tscore", "vas"}  # the secondary outcomes stay out of the primary family


def test_summary_json_without_the_optional_sheets(capsys, tmp_path):
    """No AE sheet: adverse_events numbers null with status "not supplied" and the reason; no disposition sheet: losses
    not determinable (null), never 0; no secondary columns: an empty secondary object."""
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        xlsx_bytes(
            {"screening": [SCREENING_HEADER, screening_row("P1"), screening_row("P2")], "visits": visits_rows(2)}
        )
    )
    data = _json(capsys, str(path))
    harms = data["adverse_events"]
    assert (harms["status"], harms["reason"]) == ("not supplied", "no adverse-event sheet was supplied")
    assert all(harms[k] is None for k in ("events", "patients", "serious", "serious_patients", "by_grade_relatedness"))
    assert data["secondary"] == {}
    assert data["consort"]["lost_to_follow_up"]["n"] is None and data["consort"]["enrolled"] == 2


def test_report_has_the_new_sections(capsys, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", "--sample", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    for text in (
        "Participant flow (CONSORT 2025)",
        "Assessed for eligibility (n = 30)",
        "Excluded (n = 25)",
        "Baseline characteristics (Table 1)",
        "65 (64 to 67)",
        "Adverse events",
        "Pneumonia",
        "Secondary outcomes",
        "gain 3, stable 2, loss 0",
        "<svg",
    ):
        assert text in html, text
