"""Command line: ``medpath validate|summary|report|slides|tables (FILE [FILE ...] | --sample) [--protocol ID|FILE]
[--protocols DIR]`` and ``medpath protocols [--json] [--protocols DIR]``.

``--protocols DIR`` (default: the ``MEDPATH_PROTOCOLS`` environment variable) adds a team's folder of protocol files
to the bundled ones (``medpath.protocol_library``); a file there that cannot be used never stops another protocol.

Also ``python -m medpath ...``. Exit codes: 0 = no error finding; 2 = error findings, or a file that cannot
be read (a finding says which and why). A bad file never produces a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from medpath.findings import Code
from medpath.formatting import count
from medpath.located_yaml import MAX_BYTES
from medpath.model import Finding, Study
from medpath.pipeline.map.profile import ProfileError, parse_profile
from medpath.protocol import ProtocolError, bundled, default_protocol
from medpath.protocol_library import PROTOCOLS_VARIABLE, ProtocolLibrary, load_library
from medpath.study import load_sample_study, load_study

EXIT_OK, EXIT_ERRORS = 0, 2


def _read_files(paths: list[str]) -> tuple[list[tuple[str, bytes]], list[Finding]]:
    files, problems = [], []
    for path in paths:
        try:
            files.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            problems.append(
                Finding(
                    "error",
                    path,
                    None,
                    None,
                    None,
                    None,
                    f"cannot open the file: {exc.strerror}",
                    code=Code.FILE_NOT_OPENED,
                )
            )
    return files, problems


def _study(args: argparse.Namespace) -> Study:
    """The study of the command's files (or the bundled sample); files that cannot be opened become error
    findings too."""
    protocol = args.protocol_object
    if args.sample:
        return load_sample_study(protocol)
    files, problems = _read_files(args.files)
    profile = None
    if getattr(args, "mapping", None):
        try:
            with open(args.mapping, "rb") as stream:  # no more than the largest profile read, and one byte
                profile = parse_profile(stream.read(MAX_BYTES + 1), Path(args.mapping).name, protocol)
        except OSError as exc:
            problems.append(
                Finding(
                    "error",
                    args.mapping,
                    None,
                    None,
                    None,
                    None,
                    f"cannot open the mapping profile: {exc.strerror}",
                    code=Code.PROFILE_INVALID,
                )
            )
        except ProfileError as exc:  # a broken profile is refused: nothing is read with half a mapping
            empty = load_study([], protocol=protocol)
            return replace(empty, findings=(*problems, *exc.findings()))
    study = load_study(files, mapping=profile, protocol=protocol)
    return replace(study, findings=(*problems, *study.findings))


def _exit_code(study: Study) -> int:
    return EXIT_ERRORS if study.errors else EXIT_OK


def _counts(study: Study) -> str:
    return f"{len(study.errors)} error(s), {len(study.warnings)} warning(s)" + (
        f"; left out of analyses: {study.left_out}" if study.left_out else ""
    )


def cmd_validate(args: argparse.Namespace) -> int:
    study = _study(args)
    for finding in study.findings:
        print(finding)
    print(_counts(study))
    return _exit_code(study)


def _analysis(args: argparse.Namespace, study: Study):
    """The one analysis of the study with the command's options."""
    from medpath.analysis import Settings, analyse

    return analyse(study, Settings(alternative=args.alternative, zero_method=args.zero_method, hl_zeros=args.hl_zeros))


def cmd_summary(args: argparse.Namespace) -> int:
    """The funnel and each primary result in one line each (``--json``: the whole summary, keys: docs/command-line.md)."""
    from medpath.summary import key_numbers, summarise

    study = _study(args)
    analysis = _analysis(args, study)
    if args.json:
        summary = summarise(analysis)
        summary.setdefault(
            "mapping", study.mapping_json()
        )  # the column -> field map used (docs/your-data.md, Mapping profile)
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return _exit_code(study)
    print(study.label + (" (synthetic data)" if study.synthetic and "synthetic" not in study.label.lower() else ""))
    print(f"Protocol {study.protocol.id}")
    for step in analysis.eligibility.steps:  # a step that is not determinable says so and why, never 0
        print(f"{count(step.n):>6}  {step.label}" + (f" ({step.reason})" if step.n is None and step.reason else ""))
    numbers = key_numbers(analysis)
    for line in numbers.results:
        print(line)
    if analysis.primary:
        print(numbers.caveat)
    print(_counts(study) + ("  (`medpath validate` lists them)" if study.findings else ""))
    return _exit_code(study)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report. It is written even when there are error findings -- also when no file
    could be read: it then shows the findings and says that nothing can be analysed -- so the problems
    can be shared; the exit code (2) still says there were errors."""
    from medpath.report import build_report, report_filename

    study = _study(args)
    report = build_report(_analysis(args, study)).encode("utf-8")
    return _write(study, Path(args.output or report_filename(study)), report, "the report")


def cmd_slides(args: argparse.Namespace) -> int:
    """Write the PowerPoint deck, 16:9 or 4:3 (native charts, the results table, safety, data status, caveats in
    the speaker notes); written also when there are error findings, exit code 2 then."""
    from medpath.slides import build_deck, deck_filename

    study = _study(args)
    deck = build_deck(_analysis(args, study), aspect=args.aspect)
    return _write(study, Path(args.output or deck_filename(study)), deck, "the slides")


def cmd_tables(args: argparse.Namespace) -> int:
    """Write the results tables as a Word document (flow, Table 1, primary outcomes, adverse events; A4 or Letter);
    written also when there are error findings, exit code 2 then."""
    from medpath.word_tables import word_tables, word_tables_filename

    study = _study(args)
    document = word_tables(_analysis(args, study), paper=args.paper)
    return _write(study, Path(args.output or word_tables_filename(study)), document, "the tables")


def _paper(value: str) -> str:
    """``--paper``: A4 or Letter, in any case."""
    from medpath.word_tables import paper_name

    try:
        return paper_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_protocols(args: argparse.Namespace) -> int:
    """List the usable protocols, bundled and of the team's folder (``--json``: id, title, criteria ids, outcomes,
    sample path); the files that cannot be used go to standard error with their problems (exit 2 then)."""
    library: ProtocolLibrary = args.library
    protocols = list(library.protocols.values())
    if args.json:
        print(json.dumps([p.as_json() for p in protocols], indent=2, ensure_ascii=False))
    else:
        for p in protocols:
            print(f"{p.id}{' (default)' if p is library.default else ''}: {p.title} [{library.files[p.id]}]")
    for broken in library.broken:
        print(f"NOT USABLE: {broken.file}", file=sys.stderr)
        for problem in broken.problems:
            print(f"  {problem}", file=sys.stderr)
    return EXIT_ERRORS if library.broken else EXIT_OK


def _write(study: Study, output: Path, content: bytes, what: str) -> int:
    """Write a generated file (also when the study has error findings: exit code 2 then)."""
    try:
        output.write_bytes(content)
    except OSError as exc:
        print(f"ERROR: cannot write {what} to {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"wrote {output} ({len(study.errors)} error(s), {len(study.warnings)} warning(s))")
    return _exit_code(study)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="one .xlsx workbook, or CSV files")
    parser.add_argument(
        "--sample", action="store_true", help="use the protocol's bundled synthetic sample study instead"
    )
    parser.add_argument(
        "--protocol",
        metavar="ID|FILE",
        default=None,
        help=f"the trial's protocol: an id ({', '.join(bundled())}, or one of the --protocols folder; `medpath "
        f"protocols`) or a protocol .yaml file (default: {default_protocol().id})",
    )
    _add_protocols_folder(parser)
    parser.add_argument(
        "--mapping",
        metavar="PROFILE",
        help="a mapping profile (YAML or JSON: the study team's "
        "column names, values and sheets; docs/your-data.md, 'Mapping profile')",
    )


def _add_test_options(parser: argparse.ArgumentParser) -> None:
    """The Wilcoxon options of ``summary``, ``report``, ``slides`` and ``tables``."""
    parser.add_argument(
        "--alternative",
        default="two-sided",
        choices=["two-sided", "greater", "less", "expected"],
        help="Wilcoxon alternative about after - before; 'expected' = the protocol's direction per outcome",
    )
    parser.add_argument("--zero-method", default="wilcox", choices=["wilcox", "pratt"])
    parser.add_argument(
        "--hl-zeros",
        default="keep",
        choices=["keep", "drop"],
        help="zero changes in the Hodges-Lehmann estimate and interval: keep (Hollander-Wolfe-Chicken, default) "
        "or drop (as R and StatXact)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medpath", description="MedPath: validate and summarise a trial's spreadsheets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="print every finding; exit 2 if there is an error")
    _add_inputs(validate)
    validate.set_defaults(run=cmd_validate)
    summary = sub.add_parser("summary", help="print the study's key numbers, or with --json the whole summary")
    _add_inputs(summary)
    summary.add_argument(
        "--json",
        action="store_true",
        help="print the whole summary as one JSON object (keys: see docs/command-line.md)",
    )
    _add_test_options(summary)
    summary.set_defaults(run=cmd_summary)
    report = sub.add_parser(
        "report", help="write the one-file HTML report (also when there are findings); exit 2 if there is an error"
    )
    _add_inputs(report)
    report.add_argument(
        "-o",
        "--output",
        metavar="REPORT.html",
        help="where to write the report (default: medpath_report_<study>_<date>.html here)",
    )
    _add_test_options(report)
    report.set_defaults(run=cmd_report)
    slides = sub.add_parser(
        "slides",
        help="write a PowerPoint deck (native charts, results table, safety, data status, caveats in "
        "the speaker notes); exit 2 if there is an error",
    )
    _add_inputs(slides)
    slides.add_argument(
        "--aspect",
        choices=("16:9", "4:3"),
        default="16:9",
        help="the slide size: 16:9 (13.333 x 7.5 in, default) or 4:3 (10 x 7.5 in, for a 1024 x 768 projector)",
    )
    slides.add_argument(
        "-o",
        "--output",
        metavar="DECK.pptx",
        help="where to write the deck (default: medpath_slides_<study>_<date>.pptx here)",
    )
    _add_test_options(slides)
    slides.set_defaults(run=cmd_slides)
    tables = sub.add_parser(
        "tables",
        help="write the results tables as a Word document (participant flow, Table 1, primary outcomes, adverse "
        "events); exit 2 if there is an error",
    )
    _add_inputs(tables)
    tables.add_argument(
        "-o",
        "--output",
        metavar="TABLES.docx",
        help="where to write the document (default: medpath_tables_<study>_<date>.docx here)",
    )
    tables.add_argument("--paper", type=_paper, default="A4", metavar="A4|Letter", help="the page size (default: A4)")
    _add_test_options(tables)
    tables.set_defaults(run=cmd_tables)
    protocols = sub.add_parser(
        "protocols",
        help="list the protocols, bundled and of the --protocols folder (--json: id, title, criteria, outcomes); "
        "files that cannot be used are listed with their problems (exit 2)",
    )
    protocols.add_argument("--json", action="store_true", help="print the list as JSON")
    _add_protocols_folder(protocols)
    protocols.set_defaults(run=cmd_protocols)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; ``argv`` without the program name (default: ``sys.argv[1:]``). Returns the exit code
    (argparse's usage errors exit with 2 through ``SystemExit``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.library = load_library(args.protocols if args.protocols is not None else os.environ.get(PROTOCOLS_VARIABLE))
    if args.command == "protocols":
        return int(args.run(args))
    if bool(args.files) == args.sample:
        parser.error(f"{args.command}: give FILE(s) or --sample (not both)")
    try:
        args.protocol_object = args.library.default if args.protocol is None else args.library.find(args.protocol)
    except (KeyError, ProtocolError, OSError) as exc:
        print(f"ERROR: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return EXIT_ERRORS
    if args.sample and args.protocol_object.sample is None:
        print(
            f"ERROR: protocol {args.protocol_object.id} has no sample study (its file names no `sample:`): give the "
            "study's FILE(s)",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    return int(args.run(args))


def _add_protocols_folder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocols",
        metavar="DIR",
        default=None,
        help=f"a folder of the team's own protocol files (.yaml), offered beside the bundled ones (default: the "
        f"{PROTOCOLS_VARIABLE} environment variable, if set)",
    )
