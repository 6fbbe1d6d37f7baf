"""The command line (``medpath validate|summary|report``): exit codes, what it prints, the report it writes.

Every test but the two at the end calls ``medpath.cli.main(argv)`` in this process and reads what it printed
(pytest's ``capsys``); those two start the real ``python -m medpath`` and ``medpath`` commands.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_XLSX, visits_rows, xlsx_bytes

from medpath.cli import EXIT_ERRORS, EXIT_OK, main


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """``cli("validate", path)`` runs the command in-process and returns its exit code and output."""

    def run(*argv: str) -> Run:
        capsys.readouterr()  # drop anything printed before
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


# --- validate ---------------------------------------------------------------------------------------------


def test_validate_sample_exits_0(cli):
    result = cli("validate", str(SAMPLE_XLSX))
    assert result.code == EXIT_OK == 0, result.out
    assert result.out == "0 error(s), 0 warning(s)\n"


def test_validate_vas_11_exits_2_naming_the_place(cli, tmp_path):
    visits = visits_rows(3)
    visits[6][3] = 11
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes({"visits": visits}))
    result = cli("validate", str(path))
    assert result.code == EXIT_ERRORS == 2
    lines = result.out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("ERROR: bad.xlsx, sheet 'visits', row 7, column 'vas': ")
    assert lines[1].startswith("1 error(s), 0 warning(s)")  # and what was left out of the analyses, if any


@pytest.mark.parametrize("content", [b"", b"this is not a workbook", b"PK\x03\x04broken"])
def test_unreadable_file_exits_2_with_a_finding(cli, tmp_path, content):
    path = tmp_path / "study.xlsx"
    path.write_bytes(content)
    result = cli("validate", str(path))  # an exception would fail the test: no traceback
    assert result.code == 2
    assert result.out.startswith("ERROR: study.xlsx")


def test_missing_file_exits_2(cli, tmp_path):
    result = cli("validate", str(tmp_path / "nope.xlsx"))
    assert result.code == 2
    assert "nope.xlsx" in result.out and "cannot open the file: No such file or directory" in result.out


def test_sample_option_validates_the_bundled_study(cli):
    assert cli("validate", "--sample") == Run(0, "0 error(s), 0 warning(s)\n", "")


@pytest.mark.parametrize("argv", [["validate"], ["summary", "--json"], ["report", "--sample", str(SAMPLE_XLSX)]])
def test_files_or_sample_is_required_not_both(cli, capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "give FILE(s) or --sample (not both)" in capsys.readouterr().err


# --- summary ----------------------------------------------------------------------------------------------


def test_summary_json_has_patients_and_findings(cli):
    result = cli("summary", str(SAMPLE_XLSX), "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["patients"] == 5 and summary["findings"] == []
    assert summary["study"]["sources"] == [
        {
            "name": "medpath_sample_study.xlsx",
            "size": SAMPLE_XLSX.stat().st_size,
            "sha256": hashlib.sha256(SAMPLE_XLSX.read_bytes()).hexdigest(),
        }
    ]


def test_summary_funnel_of_the_sample_matches_a_hand_count(cli):
    """Counted by hand from scripts/make_sample.py's candidate list (MSC-nn = row nn of CANDIDATES)."""
    summary = json.loads(cli("summary", "--sample", "--json").out)
    hand = [
        ("screened", 30),
        ("age_sex", 25),  # out: MSC-02 (M 50), 05 (M 45), 07 (F 38), 14 (F 40), 17 (M 48)
        ("bmd_confirmed", 22),  # out: 03 (-2.1), 10 (-1.8), 18 (-2.4); 15 at -2.5 stays
        ("no_excluded_disease", 19),  # out: 11, 25 (autoimmune), 19 (osteoporosis-related)
        ("no_excluded_medication", 14),  # out: 06 (steroid), 12 (anticoagulant), 16, 24 (drugs), 30 (immuno.)
        ("no_active_infection", 10),  # out: 09, 26 (HBsAg), 20 (CMV), 27 (rubella unknown)
        ("no_paralysis_after_surgery", 9),  # out: 21
        ("consented", 6),  # out: 13, 29 (declined), 22 (pending)
        ("enrolled", 5),  # out: 28 (eligible, target reached)
        ("completed", 5),  # the protocol's primary month (6); the step id is "completed" for every protocol
    ]
    assert [(step["id"], step["n"]) for step in summary["funnel"]] == hand
    candidates = {c["patient_id"]: c for c in summary["candidates"]}
    assert candidates["MSC-17"]["failed"][:2] == ["age_sex", "no_excluded_medication"]  # both reasons listed
    assert candidates["MSC-27"]["unknown"] == ["no_active_infection"]
    assert summary["study"]["synthetic"] is True and summary["study"]["protocol"] == "NCT04501354"
    assert summary["funnel"][-1]["label"] == "Completed 6 months"
    assert set(summary["outcomes"]) == {"bmd_tscore", "vas"}
    assert summary["outcomes"]["bmd_tscore"]["hodges_lehmann"]["ci_level"] == 0.9375


def test_summary_json_options_reach_the_tests(cli):
    summary = json.loads(
        cli("summary", "--sample", "--json", "--alternative", "expected", "--zero-method", "pratt").out
    )
    wilcoxon = {key: outcome["wilcoxon"] for key, outcome in summary["outcomes"].items()}
    assert wilcoxon["bmd_tscore"]["alternative"] == "greater" and wilcoxon["vas"]["alternative"] == "less"
    assert {w["zero_method"] for w in wilcoxon.values()} == {"pratt"}


def test_summary_text_shows_the_funnel_each_result_and_the_caveat(cli):
    result = cli("summary", "--sample")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "Synthetic sample study (not real patients)"
    assert lines[1] == "Protocol NCT04501354"
    assert lines[2] == "    30  Screened" and lines[11] == "     5  Completed 6 months"
    assert lines[12].startswith("Spine BMD T-score, baseline → month 6: median change +0.3 SD")
    assert "exact Wilcoxon p = 0.0625, two-sided" in lines[12] and lines[12].endswith("n = 5 pairs")
    assert lines[13].startswith("VAS pain, baseline → month 6: median change −2 points")
    assert "a two-sided Wilcoxon test cannot give p < 0.0625" in lines[14]
    assert lines[15:] == ["0 error(s), 0 warning(s)"]


def test_summary_text_of_a_file_with_errors_exits_2(cli, tmp_path):
    visits = visits_rows(3)
    visits[6][3] = 11
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes({"visits": visits}))
    result = cli("summary", str(path))
    assert result.code == 2
    lines = result.out.splitlines()
    assert lines[0] == "bad.xlsx" and lines[1] == "Protocol NCT04501354"
    assert lines[2] == "     3  Enrolled"  # visits only: the funnel starts there
    assert lines[-1].startswith("1 error(s), 0 warning(s)") and lines[-1].endswith("(`medpath validate` lists them)")


def test_summary_json_hl_zeros_reaches_the_estimate(cli):
    summary = json.loads(cli("summary", "--sample", "--json", "--hl-zeros", "drop").out)
    assert {o["hodges_lehmann"]["zeros"] for o in summary["outcomes"].values()} == {"drop"}


# --- protocols --------------------------------------------------------------------------------------------


def test_protocols_json_lists_the_bundled_protocols(cli):
    result = cli("protocols", "--json")
    assert result.code == 0 and result.err == ""
    protocols = {p["id"]: p for p in json.loads(result.out)}
    assert set(protocols) == {"NCT04501354", "DEMO-KOA-PRP", "DEMO-T1D-MSC"}
    osteoporosis, knee, weeks = protocols["NCT04501354"], protocols["DEMO-KOA-PRP"], protocols["DEMO-T1D-MSC"]
    assert (weeks["schedule_unit"], weeks["primary_visit"]) == ("week", "week 24")
    assert weeks["primary_outcomes"] == ["c_peptide", "remission"]
    assert osteoporosis["criteria"] == [
        "age_sex",
        "bmd_confirmed",
        "no_excluded_disease",
        "no_excluded_medication",
        "no_active_infection",
        "no_paralysis_after_surgery",
        "consented",
    ]
    assert osteoporosis["primary_outcomes"] == ["bmd_tscore", "vas"] and osteoporosis["primary_month"] == 6
    assert set(osteoporosis["outcomes"]) >= {"bmd_tscore", "vas", "bmd_g_cm2", "qol"}
    assert osteoporosis["default"] is True and knee["default"] is False
    assert knee["criteria"][-1] == "consented" and "kl_grade_2_or_more" in knee["criteria"]
    assert knee["primary_outcomes"] == ["womac_pain"] and knee["primary_month"] == 3
    assert "womac_pain" in knee["outcomes"]
    assert Path(osteoporosis["sample"]) == SAMPLE_XLSX
    for p in protocols.values():
        assert Path(p["sample"]).is_file(), p["sample"]


def test_protocols_text_lists_one_line_each(cli):
    result = cli("protocols")
    assert result.code == 0
    lines = result.out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("NCT04501354 (default): ") and lines[1].startswith("DEMO-KOA-PRP: ")
    assert lines[2].startswith("DEMO-T1D-MSC: ")


def test_summary_of_the_demo_protocol_matches_a_hand_count(cli):
    """DEMO-KOA-PRP's synthetic sample (scripts/make_demo_sample.py): 17 screened, 8 enrolled, 7 with month 3;
    WOMAC pain changes (month 3 minus baseline) by hand: −4, −2, 0, −4, −3, −5, −6 -> median −4."""
    result = cli("summary", "--sample", "--protocol", "DEMO-KOA-PRP", "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["study"]["protocol"] == "DEMO-KOA-PRP"
    steps = {step["id"]: step["n"] for step in summary["funnel"]}
    assert (steps["screened"], steps["enrolled"], steps["completed"]) == (17, 8, 7)
    assert summary["funnel"][-1]["label"] == "Completed 3 months"
    assert set(summary["outcomes"]) == {"womac_pain"}
    womac = summary["outcomes"]["womac_pain"]
    assert womac["n_pairs"] == 7 and womac["median_change"] == -4
    assert womac["direction_counts"] == {"up": 0, "down": 6, "unchanged": 1}
    text = cli("summary", "--sample", "--protocol", "DEMO-KOA-PRP").out.splitlines()
    assert text[1] == "Protocol DEMO-KOA-PRP"
    assert any(line.startswith("WOMAC pain, baseline → month 3: median change −4 points") for line in text)


def test_unknown_protocol_exits_2_naming_the_bundled_ones(cli):
    result = cli("summary", "--sample", "--protocol", "X")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("ERROR: ") and "'X'" in result.err
    assert "NCT04501354" in result.err and "DEMO-KOA-PRP" in result.err


# --- report -----------------------------------------------------------------------------------------------


def test_report_of_the_sample(cli, tmp_path):
    out = tmp_path / "r.html"
    result = cli("report", str(SAMPLE_XLSX), "-o", str(out))
    assert result.code == 0, result.err
    report = out.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in report  # the bundled sample is recognised by its bytes
    assert hashlib.sha256(SAMPLE_XLSX.read_bytes()).hexdigest() in report
    assert result.out == f"wrote {out} (0 error(s), 0 warning(s))\n"


def test_report_of_a_bad_file_exits_2_and_still_writes_the_findings(cli, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    out = tmp_path / "r.html"
    result = cli("report", str(bad), str(tmp_path / "missing.csv"), "-o", str(out))
    assert result.code == 2
    report = out.read_text(encoding="utf-8")
    assert "bad.xlsx" in report and "missing.csv" in report and "nothing can be analysed" in report


@pytest.fixture
def quick_report(monkeypatch):
    """build_report replaced by a stub, for tests of where the CLI writes (the report itself: above)."""
    monkeypatch.setattr(
        "medpath.report.build_report", lambda analysis, **options: f"<html>{analysis.study.label}</html>"
    )


def test_report_to_an_unwritable_place_exits_2_with_a_message(cli, tmp_path, quick_report):
    target = tmp_path / "no" / "such" / "dir" / "r.html"
    result = cli("report", "--sample", "-o", str(target))
    assert result.code == 2 and result.out == ""
    assert result.err == f"ERROR: cannot write the report to {target}: No such file or directory\n"


def test_report_default_output_name(cli, tmp_path, monkeypatch, quick_report):
    monkeypatch.chdir(tmp_path)
    result = cli("report", "--sample")
    assert result.code == 0, result.err
    written = list(tmp_path.glob("medpath_report_synthetic-sample-study-not-real-patients_*.html"))
    assert len(written) == 1 and result.out.startswith(f"wrote {written[0].name} ")
    assert written[0].read_text(encoding="utf-8") == "<html>Synthetic sample study (not real patients)</html>"


# --- tables (the Word results tables; their content: tests/test_word_tables.py) ----------------------------------


def test_tables_of_the_sample_file(cli, tmp_path):
    from docx import Document

    out = tmp_path / "t.docx"
    result = cli("tables", str(SAMPLE_XLSX), "-o", str(out))
    assert result.code == 0, result.err
    assert result.out == f"wrote {out} (0 error(s), 0 warning(s))\n"
    document = Document(str(out))
    footer = "\n".join(p.text for p in document.sections[0].footer.paragraphs)
    assert "medpath_sample_study.xlsx" in footer
    assert "SYNTHETIC DATA" in "\n".join(p.text for p in document.sections[0].header.paragraphs)


def test_tables_of_a_bad_file_exits_2_and_still_writes_the_document(cli, tmp_path):
    from docx import Document

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    out = tmp_path / "t.docx"
    result = cli("tables", str(bad), str(tmp_path / "missing.csv"), "-o", str(out))  # no traceback
    assert result.code == 2 and result.err == ""
    assert result.out == f"wrote {out} (2 error(s), 0 warning(s))\n"
    document = Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Data checks: 2 error(s)" in text
    assert "ERROR: bad.xlsx" in text and "missing.csv" in text  # the error findings, by file
    assert "Data: bad.xlsx ·" in "\n".join(p.text for p in document.sections[0].footer.paragraphs)  # the file read
    flow = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert flow[0] == ["Stage", "n", "Notes and reasons"]
    assert {row[1] for row in flow[1:]} == {"not determinable"}


@pytest.fixture
def quick_tables(monkeypatch):
    """word_tables replaced by a stub, for tests of where the CLI writes and what it passes on."""
    monkeypatch.setattr(
        "medpath.word_tables.word_tables",
        lambda analysis, **options: f"{analysis.study.label} {options} {analysis.settings.alternative}".encode(),
    )


def test_tables_default_output_name_and_options(cli, tmp_path, monkeypatch, quick_tables):
    monkeypatch.chdir(tmp_path)
    result = cli("tables", "--sample", "--paper", "LETTER", "--alternative", "expected")
    assert result.code == 0, result.err
    written = list(tmp_path.glob("medpath_tables_synthetic-sample-study-not-real-patients_*.docx"))
    assert len(written) == 1 and result.out.startswith(f"wrote {written[0].name} ")
    assert written[0].read_bytes() == b"Synthetic sample study (not real patients) {'paper': 'Letter'} expected"
    assert cli("tables", "--sample", "-o", "a4.docx").code == 0
    assert (tmp_path / "a4.docx").read_bytes().endswith(b"{'paper': 'A4'} two-sided")


def test_tables_to_an_unwritable_place_exits_2_with_a_message(cli, tmp_path, quick_tables):
    target = tmp_path / "no" / "such" / "dir" / "t.docx"
    result = cli("tables", "--sample", "-o", str(target))
    assert result.code == 2 and result.out == ""
    assert result.err == f"ERROR: cannot write the tables to {target}: No such file or directory\n"


def test_tables_unknown_paper_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["tables", "--sample", "--paper", "B5", "-o", str(tmp_path / "t.docx")])
    assert exit_info.value.code == 2
    assert "argument --paper: paper must be one of A4, Letter, not 'B5'" in capsys.readouterr().err
    assert not (tmp_path / "t.docx").exists()


# --- the real commands (subprocess smoke tests) -------------------------------------------------------------


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_python_m_medpath_exit_code_and_output(tmp_path):
    visits = visits_rows(3)
    visits[6][3] = 11
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes({"visits": visits}))
    result = _run([sys.executable, "-m", "medpath", "validate", str(path)], cwd=tmp_path)
    assert result.returncode == 2 and result.stderr == ""
    assert "ERROR: bad.xlsx, sheet 'visits', row 7, column 'vas'" in result.stdout


def test_medpath_command_of_this_environment(tmp_path):
    """The ``medpath`` console script (installed by ``pip install -e .`` in scripts/test.sh's virtualenv)."""
    command = shutil.which(
        "medpath", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    if command is None:
        if os.environ.get("CI") or os.environ.get("VIRTUAL_ENV"):
            pytest.fail("no `medpath` command in this environment: install the project (pip install -e .)")
        pytest.skip("no `medpath` command: the project is not installed in this Python (scripts/test.sh does)")
    result = _run([command, "summary", "--sample", "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patients"] == 5


def test_the_summary_gives_each_responder_rate_with_its_exact_interval(cli):
    """The sample's VAS responders (a reduction of 2 points or 30 %) at month 6: MSC-01, 08, 15, 23 of the 5 (MSC-04
    unchanged); R binom.test(4, 5)$conf.int: 0.2835821 to 0.9949492."""
    summary = json.loads(cli("summary", "--sample", "--json").out)
    vas = summary["responders"]["vas"]
    assert (vas["responders"], vas["classified"], vas["not_classified"]) == (4, 5, 0)
    assert (vas["ci_low"], vas["ci_high"]) == pytest.approx((0.2835821, 0.9949492), abs=5e-7)
