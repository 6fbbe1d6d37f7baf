"""The bad-input corpus of issue 7: every case through the app's parsing path and through the CLI.

The corpus is generated once per session (``tests/corpus/make_corpus.py``) into a temporary folder.
For each case: ``load_study`` never raises and gives exactly the expected findings, each picked by its
severity, code, sheet, row and column (naming the file), whose message then holds a key phrase;
``medpath validate FILE`` exits 0 or 2 as expected, prints those findings (its lines carry no code: each
is matched by severity, file, place and phrase), never a traceback, within 10 s and 1 GiB. The time and
memory limits are the issue's; they are the only timing assertions in the suite.

The CLI runs in a child process so that its time and peak memory are its own and a runaway case can be
killed: a fork of this process, which calls ``medpath.cli.main(["validate", FILE])`` with everything already
imported (no interpreter start-up, some 20 ms a case instead of about a second). The peak RSS (from
``os.wait4``) counts the pages the child shares with pytest too, so it is an upper bound: the assertion can
only be stricter.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
import traceback

import make_corpus
import pytest
from make_corpus import ANY, Expect

from medpath.cli import main
from medpath.model import Finding
from medpath.protocol import default_protocol
from medpath.study import load_study

CASES = {case.name: case for case in make_corpus.cases()}
LIMIT_SECONDS = 10
LIMIT_BYTES = 2**30


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return make_corpus.build(tmp_path_factory.mktemp("corpus"))


def test_corpus_has_at_least_25_cases():
    assert len(CASES) >= 25


def _matches(finding: Finding, expect: Expect, file: str) -> bool:
    """Whether ``finding`` is the one ``expect`` means: by its code and place, never by its wording."""
    return (
        finding.severity == expect.severity
        and finding.code is expect.code
        and file in finding.file
        and (expect.sheet is ANY or finding.sheet == expect.sheet)
        and (expect.row is ANY or finding.row == expect.row)
        and (expect.column is ANY or finding.column == expect.column)
    )


def _assert_findings(findings, case) -> None:
    for expect in case.expect:
        chosen = [f for f in findings if _matches(f, expect, case.name)]
        assert len(chosen) == 1, (expect, [str(f) for f in findings])
        assert expect.phrase in chosen[0].message, (expect, str(chosen[0]))
    if case.exact:
        assert len(findings) == len(case.expect), [str(f) for f in findings]


@pytest.mark.parametrize("name", sorted(CASES))
def test_app_parsing_path(corpus, name):
    case = CASES[name]
    study = load_study([(name, corpus[name].read_bytes())], protocol=default_protocol())  # must not raise
    _assert_findings(study.findings, case)
    assert bool(study.errors) == (case.exit_code == 2)
    if case.check:
        case.check(study)


def _child(argv: list[str], out_path, err_path) -> None:
    """In the forked child: run the CLI with stdout and stderr in files, then leave without returning to pytest."""
    code = 70
    try:
        for fd, path in ((1, out_path), (2, err_path)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run_cli(path) -> tuple[int, str, str, float, int]:
    """``medpath validate FILE`` in a forked child; (exit code, stdout, stderr, seconds, peak RSS in bytes)."""
    out_path, err_path = path.parent / f"{path.name}.out", path.parent / f"{path.name}.err"
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(["validate", str(path)], out_path, err_path)
    timer = threading.Timer(60, lambda: os.kill(pid, signal.SIGKILL))
    timer.start()
    try:
        _, status, usage = os.wait4(pid, 0)
    finally:
        timer.cancel()
    seconds = time.monotonic() - start
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return (
        os.waitstatus_to_exitcode(status),
        out_path.read_text(encoding="utf-8", errors="replace"),
        err_path.read_text(encoding="utf-8", errors="replace"),
        seconds,
        peak,
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli(corpus, name):
    case = CASES[name]
    code, stdout, stderr, seconds, peak = _run_cli(corpus[name])
    assert "Traceback" not in stderr, stderr
    assert code == case.exit_code, stdout + stderr
    lines = stdout.splitlines()
    for expect in case.expect:
        assert any(
            line.startswith(f"{expect.severity.upper()}: {name}")
            and expect.phrase in line
            and (expect.sheet in (ANY, None) or f"sheet '{expect.sheet}'" in line)
            and (expect.row in (ANY, None) or re.search(rf", row {expect.row}[,:]", line))
            and (expect.column in (ANY, None) or f"column '{expect.column}'" in line)
            for line in lines
        ), (expect, stdout)
    assert seconds <= LIMIT_SECONDS, f"{name}: {seconds:.1f} s"
    assert peak <= LIMIT_BYTES, f"{name}: peak RSS {peak / 2**20:,.0f} MiB"
