"""A team's own protocols (issue 26): a folder of protocol files beside the bundled ones, each file loaded on its own
(a broken one is listed with its problems and the others work; an id or a default given twice is an error naming
the other file), a protocol uploaded for one session, and a protocol without a sample study, in the core, the CLI
and the dashboard."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_pages import PAGES

from medpath.cli import main
from medpath.protocol import ProtocolError, bundled_folder, parse_protocol
from medpath.protocol_library import PROTOCOLS_VARIABLE, load_library, uploaded_protocol
from medpath.study import load_study

DEMO = (bundled_folder() / "demo_knee_prp.yaml").read_text(encoding="utf-8")
DEFAULT = (bundled_folder() / "nct04501354.yaml").read_text(encoding="utf-8")


def _own(pid: str, text: str = DEMO) -> str:
    """A protocol of the team's own: the demo protocol under another id, without the files beside the bundled one."""
    lines = [line for line in text.splitlines() if not line.startswith(("text:", "sample:", "id:"))]
    return f"id: {pid}\n" + "\n".join(lines) + "\n"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "protocols"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_bundled_protocols_alone_the_default_first():
    library = load_library(None)
    assert list(library.protocols) == ["NCT04501354", "DEMO-KOA-PRP", "DEMO-T1D-MSC"]
    assert library.default.id == "NCT04501354" and library.broken == ()
    assert load_library("").protocols == library.protocols  # an empty variable is no folder


def test_a_broken_file_a_duplicate_id_and_a_second_default_are_listed_and_the_others_work(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "a_ours.yaml": _own("OURS-1"),
            "b_broken.yaml": "id: BROKEN\ntitle: x: y\n",  # YAML: mapping values are not allowed here
            "c_twin.yml": _own("nct04501354"),  # the bundled default's id, in other case
            "d_default.yaml": _own("OURS-2", DEFAULT).replace("default: true", "") + "default: true\n",
            "notes.txt": "not a protocol",
        },
    )
    library = load_library(folder)
    assert list(library.protocols) == ["NCT04501354", "DEMO-KOA-PRP", "DEMO-T1D-MSC", "OURS-1"]
    assert library.files["OURS-1"] == str(folder / "a_ours.yaml")
    broken = {Path(b.file).name: b.problems for b in library.broken}
    assert set(broken) == {"b_broken.yaml", "c_twin.yml", "d_default.yaml"}
    assert broken["b_broken.yaml"][0].startswith("b_broken.yaml, line 2: ")
    assert broken["c_twin.yml"] == (
        f"{folder / 'c_twin.yml'}: its id 'nct04501354' is already the id of medpath/protocols/nct04501354.yaml",
    )
    assert "only one protocol can be the default" in broken["d_default.yaml"][0]
    assert library.find("ours-1").id == "OURS-1"
    with pytest.raises(KeyError, match="not usable: .*b_broken.yaml"):
        library.find("BROKEN")


def test_a_folder_that_does_not_exist_is_listed_and_the_bundled_protocols_work(tmp_path):
    library = load_library(tmp_path / "nowhere")
    assert [b.problems for b in library.broken] == [(f"{tmp_path / 'nowhere'}: the folder does not exist",)]
    assert list(library.protocols) == ["NCT04501354", "DEMO-KOA-PRP", "DEMO-T1D-MSC"]


def test_a_protocol_added_to_the_folder_is_offered_without_a_restart(tmp_path):
    folder = _folder(tmp_path, {"a.yaml": _own("OURS-1")})
    assert "OURS-2" not in load_library(folder).protocols
    (folder / "b.yaml").write_text(_own("OURS-2"), encoding="utf-8")
    assert list(load_library(folder).protocols)[-2:] == ["OURS-1", "OURS-2"]
    time.sleep(0.01)
    (folder / "b.yaml").write_text("id: [", encoding="utf-8")  # then broken: listed, no longer offered
    assert "OURS-2" not in load_library(folder).protocols and load_library(folder).broken


def test_an_uploaded_protocol_is_used_for_the_session_unless_its_id_is_taken():
    library = load_library(None)
    protocol = uploaded_protocol("ours.yaml", _own("OURS-1").encode(), library)
    assert protocol.id == "OURS-1" and protocol.sample is None and protocol.path is None
    with pytest.raises(ProtocolError) as refused:
        uploaded_protocol("again.yaml", _own("DEMO-KOA-PRP").encode(), library)
    assert refused.value.lines() == [
        "again.yaml: its id 'DEMO-KOA-PRP' is already the id of medpath/protocols/demo_knee_prp.yaml: give the "
        "uploaded protocol another id"
    ]
    with pytest.raises(ProtocolError, match="not a text file"):
        uploaded_protocol("binary.yaml", b"\xff\xfe\x00\x01id", library)


def test_a_sample_or_text_the_file_names_must_be_beside_it(tmp_path):
    path = tmp_path / "p.yaml"
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(_own("OURS-1") + "sample: missing.xlsx\ntext: record.txt\n", "p.yaml", path)
    assert [line.split(": ", 1)[1] for line in refused.value.lines()] == [
        "sample: there is no file 'missing.xlsx' beside the protocol file",
        "text: there is no file 'record.txt' beside the protocol file",
    ]


def test_the_command_line_lists_the_folder_and_its_broken_files_and_reads_with_a_team_protocol(tmp_path, capsys):
    folder = _folder(tmp_path, {"a.yaml": _own("OURS-1"), "b.yaml": "id: ["})
    assert main(["protocols", "--protocols", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith("OURS-1: Single-group pilot") and out.endswith(f"[{folder / 'a.yaml'}]\n")
    assert err == (
        f"NOT USABLE: {folder / 'b.yaml'}\n  b.yaml, line 2: not valid YAML: a value is missing, or a bracket is not "
        "closed (the parser: did not find expected node content)\n"
    )
    # a protocol without a sample: --sample is refused with a sentence, not a traceback
    assert main(["summary", "--sample", "--protocol", "OURS-1", "--protocols", str(folder)]) == 2
    assert "protocol OURS-1 has no sample study" in capsys.readouterr().err
    # the demo sample read under the team's copy of its protocol gives the same numbers as under the bundled one
    sample = ROOT / "data" / "sample" / "demo_knee_prp_study.xlsx"
    assert main(["summary", str(sample), "--protocol", "OURS-1", "--protocols", str(folder)]) == 0
    ours = capsys.readouterr().out
    assert main(["summary", str(sample), "--protocol", "DEMO-KOA-PRP"]) == 0
    bundled = capsys.readouterr().out
    assert ours.replace("OURS-1", "DEMO-KOA-PRP") == bundled


def test_the_environment_variable_names_the_folder_for_the_command_line(tmp_path, capsys, monkeypatch):
    folder = _folder(tmp_path, {"a.yaml": _own("OURS-1")})
    monkeypatch.setenv(PROTOCOLS_VARIABLE, str(folder))
    assert main(["protocols"]) == 0
    assert "OURS-1" in capsys.readouterr().out


@pytest.fixture
def team_folder(tmp_path, monkeypatch):
    folder = _folder(tmp_path, {"a.yaml": _own("OURS-1"), "b.yaml": "id: BROKEN\ntitle: x: y\n"})
    monkeypatch.setenv(PROTOCOLS_VARIABLE, str(folder))
    return folder


@pytest.mark.parametrize("page", PAGES)
def test_choosing_a_team_protocol_without_a_sample_never_ends_the_session(team_folder, page):
    """Issue 26: choosing a protocol without ``sample:`` ended the session with "This app has encountered an
    error"; now every page runs and says there is no study yet."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="protocol_choice").set_value("OURS-1").run()
    assert not at.exception, [e.value for e in at.exception]
    if page != "pages/data.py":
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.info, *at.error])
    assert "protocol OURS-1 has no sample study" in shown
    if page == "pages/data.py":  # the broken file is named with its line; the other protocols are offered
        assert "b.yaml cannot be used" in shown and "line 2" in shown
        assert [o.split(" — ")[0] for o in at.selectbox(key="protocol_choice").options] == [
            "NCT04501354",
            "DEMO-KOA-PRP",
            "DEMO-T1D-MSC",
            "OURS-1",
        ]


def test_the_pages_run_on_an_upload_read_with_a_team_protocol(team_folder):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="protocol_choice").set_value("OURS-1").run()
    sample = ROOT / "data" / "sample" / "demo_knee_prp_study.xlsx"
    at.session_state["uploaded_files"] = ((sample.name, sample.read_bytes()),)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    expected = load_study([(sample.name, sample.read_bytes())], protocol=load_library(team_folder).find("OURS-1"))
    assert not expected.errors and os.environ[PROTOCOLS_VARIABLE] == str(team_folder)


def test_before_any_upload_a_protocol_without_a_sample_has_no_finding_and_every_count_is_not_determinable():
    from medpath.analysis import analyse
    from medpath.study import no_study_yet

    study = no_study_yet(load_library(None).find("DEMO-KOA-PRP"))
    assert study.findings == () and study.sources == () and len(study.visits) == 0
    flow = analyse(study).flow
    assert (flow.assessed, flow.enrolled, flow.completed) == (None, None, None)
    assert flow.reasons["assessed"] == "no study has been uploaded yet"
