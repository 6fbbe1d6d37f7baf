"""The disposable reader (``medpath.pipeline.guard.disposable_reader``): the same tables as a read in this process, and each of its
limits broken by a file that needs more than it allows — a refusal naming the limit, never a dead process."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from workbooks import VISITS_HEADER, csv_bytes, visits_rows, xlsx_bytes

from medpath.findings import Code
from medpath.pipeline.guard.disposable_reader import ReaderLimits, read_upload
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.read.reading import ReadError, measure, read_tables
from medpath.protocol import bundled, default_protocol
from medpath.study import SAMPLE_DIR


def _refusal(name: str, data: bytes, limits: ReaderLimits) -> str:
    with pytest.raises(ReadError) as refused:
        read_upload(name, data, default_protocol(), limits)
    finding = refused.value.finding
    assert (finding.severity, finding.file, finding.code) == ("error", name, Code.FILE_UNSAFE)
    assert finding.message.startswith("this file could not be read safely: ")
    return finding.message


def _big_csv(rows: int) -> bytes:
    return csv_bytes([VISITS_HEADER, *([f"P{i}", "baseline", -3.1, 7] for i in range(rows))])


def test_the_worker_reads_what_this_process_reads():
    for protocol in bundled().values():
        data = protocol.sample.read_bytes()
        read = read_upload("sample.xlsx", data, protocol)
        assert read.tables == read_tables("sample.xlsx", data, schema_of(protocol))
        assert read.cells == measure("sample.xlsx", data).cells > 0
    data = (SAMPLE_DIR / "medpath_sample_visits.csv").read_bytes()
    assert read_upload("v.csv", data, default_protocol()).tables == read_tables(
        "v.csv", data, schema_of(default_protocol())
    )


def test_the_readers_own_refusal_comes_back_as_it_is():
    with pytest.raises(ReadError) as refused:
        read_upload("book.xlsx", b"not a workbook", default_protocol())
    assert refused.value.finding.code is Code.FILE_NOT_READ
    assert refused.value.finding.message.startswith("the file is named like a spreadsheet but is not")


def test_output_over_the_limit_is_refused_before_it_is_read():
    data = xlsx_bytes({"visits": visits_rows(50)})
    message = _refusal("v.xlsx", data, ReaderLimits(output_bytes=4096))
    assert "its tables would be " in message and "more than the 4,096 bytes MedPath takes" in message
    assert read_upload("v.xlsx", data, default_protocol()).tables  # within the default limit


def test_wall_time_over_the_limit_kills_the_worker():
    message = _refusal("v.csv", _big_csv(50_000), ReaderLimits(wall_seconds=0.05))
    assert "reading it took longer than 0.05 s" in message


def test_processor_time_over_the_limit_is_refused():
    """No CPU time per cell after the guards: reading 150,000 rows x 30 columns (4.5 M cells) needs more than the
    one second left."""
    limits = ReaderLimits(guard_cpu_seconds=0, cpu_seconds_per_million_cells=0)
    wide = csv_bytes([[f"c{k}" for k in range(30)], *([i, *range(29)] for i in range(150_000))])
    message = _refusal("wide.csv", wide, limits)
    assert "processor time" in message


def test_memory_over_the_limit_is_refused_and_this_process_lives_on():
    """A used area of 20,000 x 300 cells (within the size guards) that the Rust reader lays out densely: over 64 MiB
    it fails to allocate and aborts its process (SIGABRT) — the worker's, not this one."""
    data = xlsx_bytes({"visits": visits_rows(1)})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            body = old.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", b'<row r="20000"><c r="KN20000"><v>1</v></c></row></sheetData>')
            new.writestr(info.filename, body)
    message = _refusal("far.xlsx", out.getvalue(), ReaderLimits(memory_bytes=64 * 2**20))
    assert "64 MiB of memory" in message
    assert read_upload("v.xlsx", data, default_protocol()).tables  # the next read works


def test_a_process_made_by_fork_reads_with_a_server_of_its_own():
    data = xlsx_bytes({"visits": visits_rows(2)})
    read_upload("v.xlsx", data, default_protocol())  # this process's server is running
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if read_upload("v.xlsx", data, default_protocol()).tables else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert read_upload("v.xlsx", data, default_protocol()).tables  # and this one's still works


def test_a_file_over_the_cells_it_is_allowed_is_measured_not_read():
    data = xlsx_bytes({"visits": visits_rows(3)})  # a header and 6 rows of 4 cells
    read = read_upload("v.xlsx", data, default_protocol(), max_cells=27)
    assert read.tables is None and read.cells == 28
    assert read_upload("v.xlsx", data, default_protocol(), max_cells=28).tables


def test_an_answer_that_is_not_tables_is_refused_not_run(tmp_path):
    """What a subverted worker could send: a pickle that calls a function when it is loaded."""
    import pickle

    from medpath.pipeline.guard.disposable_reader import _Answers, _Broken

    marker = tmp_path / "ran"
    forged = pickle.dumps(("read", _Call(os.mkdir, str(marker))))
    with pytest.raises(_Broken, match="not a table"):
        _Answers(io.BytesIO(forged)).load()
    assert not marker.exists()


class _Call:
    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return self.function, (self.argument,)


def test_the_server_process_never_reads_an_upload_itself(monkeypatch):
    """With the reader and the size guards broken in this process, an upload still loads: they ran in the worker."""
    import medpath.pipeline.guard.disposable_reader
    import medpath.pipeline.read.reading

    def never(*args, **kwargs):
        raise AssertionError("an upload was read in the server process")

    for module in (medpath.pipeline.read.reading, medpath.pipeline.guard.disposable_reader):
        monkeypatch.setattr(module, "read_tables", never)
        monkeypatch.setattr(module, "measure", never)
    from medpath.study import load_study

    study = load_study([("v.xlsx", xlsx_bytes({"visits": visits_rows(2)}))], protocol=default_protocol())
    assert len(study.visits) == 4 and not study.errors


def test_an_answer_of_the_wrong_shape_is_refused():
    import pickle

    from medpath.findings import Code, Finding
    from medpath.pipeline.guard.disposable_reader import _answer, _Broken

    finding = Finding("error", "f", None, None, None, None, "m", Code.FILE_NOT_READ)
    for blob in (b"not a pickle", pickle.dumps("read"), pickle.dumps(("refused", finding)), pickle.dumps(("x", "y"))):
        with pytest.raises(_Broken, match="not a table"):
            _answer(blob)
    assert _answer(pickle.dumps(("failed", "why"))) == ("failed", "why")
