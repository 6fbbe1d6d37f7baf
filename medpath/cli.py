"""Command line: ``python -m medpath validate|summary|report FILE [FILE ...]``.

Exit codes: 0 = no error finding; 2 = error findings, or a file that cannot be read (a finding says
which and why). A bad file never produces a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from medpath.model import Finding, Study
from medpath.study import load_study

EXIT_OK, EXIT_ERRORS = 0, 2


def _read_files(paths: list[str]) -> tuple[list[tuple[str, bytes]], list[Finding]]:
    files, problems = [], []
    for path in paths:
        try:
            files.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            problems.append(Finding("error", path, None, None, None, None, f"cannot open the file: {exc.strerror}"))
    return files, problems


def _study(args) -> Study:
    """The study of the command's files; files that cannot be opened become error findings too."""
    files, problems = _read_files(args.files)
    study = load_study(files)
    return replace(study, findings=(*problems, *study.findings))


def _exit_code(study: Study) -> int:
    return EXIT_ERRORS if study.errors else EXIT_OK


def cmd_validate(args) -> int:
    study = _study(args)
    for finding in study.findings:
        print(finding)
    print(f"{len(study.errors)} error(s), {len(study.warnings)} warning(s)"
          + (f"; left out of analyses: {study.left_out}" if study.left_out else ""))
    return _exit_code(study)


def cmd_summary(args) -> int:
    from medpath.summary import summarise

    study = _study(args)
    print(json.dumps(summarise(study, alternative=args.alternative, zero_method=args.zero_method),
                     indent=2, ensure_ascii=False))
    return _exit_code(study)


def cmd_report(args) -> int:
    """Write the HTML report. It is written even when there are error findings -- also when no file
    could be read: it then shows the findings and says that nothing can be analysed -- so the problems
    can be shared; the exit code (2) still says there were errors."""
    from medpath.report import build_report, report_filename

    study = _study(args)
    output = Path(args.output or report_filename(study))
    try:
        output.write_text(build_report(study, alternative=args.alternative, zero_method=args.zero_method),
                          encoding="utf-8")
    except OSError as exc:
        print(f"ERROR: cannot write the report to {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"wrote {output} ({len(study.errors)} error(s), {len(study.warnings)} warning(s))")
    return _exit_code(study)


def _add_test_options(parser: argparse.ArgumentParser) -> None:
    """The Wilcoxon options of ``summary`` and ``report``."""
    parser.add_argument("--alternative", default="two-sided",
                        choices=["two-sided", "greater", "less", "expected"],
                        help="Wilcoxon alternative about after - before; "
                             "'expected' = the protocol's direction per outcome")
    parser.add_argument("--zero-method", default="wilcox", choices=["wilcox", "pratt"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m medpath", description="MedPath: validate and summarise a trial's spreadsheets.")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="print every finding; exit 2 if there is an error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(run=cmd_validate)
    summary = sub.add_parser("summary", help="print the study summary")
    summary.add_argument("files", nargs="+", metavar="FILE")
    summary.add_argument("--json", action="store_true", help="print JSON (the only format)")
    _add_test_options(summary)
    summary.set_defaults(run=cmd_summary)
    report = sub.add_parser("report", help="write the one-file HTML report (also when there are findings); "
                                           "exit 2 if there is an error")
    report.add_argument("files", nargs="+", metavar="FILE")
    report.add_argument("-o", "--output", metavar="REPORT.html",
                        help="where to write the report (default: medpath_report_<study>_<date>.html here)")
    _add_test_options(report)
    report.set_defaults(run=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
