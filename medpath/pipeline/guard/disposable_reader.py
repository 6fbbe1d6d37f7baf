"""Every uploaded file is read in a disposable worker process with hard limits of its own.

The readers behind ``medpath.pipeline.read.reading`` (python-calamine's Rust code, expat, olefile, the CSV module) run on
bytes an attacker may have crafted. ``medpath.pipeline.guard.size_guards`` bounds what they will allocate, but a guard and a
reader can read the same bytes differently, and a failed Rust allocation aborts the process that made it
(``memory allocation of N bytes failed``, SIGABRT): no ``try`` can catch it. So the server process never runs
them. ``read_upload`` hands the file to a fresh child of ``medpath.pipeline.guard.fork_server`` (started once per process, with
this module imported), which

* sets its own limits before it touches the bytes (``resource.setrlimit``, POSIX ``setrlimit(2)``): address
  space (``RLIMIT_AS``) above what it maps when it starts, CPU seconds (``RLIMIT_CPU``), no file written
  (``RLIMIT_FSIZE`` = 0) and no core dump (``RLIMIT_CORE`` = 0: a core would hold the patients' data);
* runs the size guards and the reader (``medpath.pipeline.read.reading.measure`` and ``read_tables``) under the trial's
  protocol, passed as an argument, and sends back the pickled tables, or the reader's own refusal;
* is killed by the caller when it runs past its wall-clock time or announces more than its output limit, and
  ends after one file.

A worker that aborts, is killed or breaks a limit becomes a ``ReadError`` ("this file could not be read
safely: …") naming the file and the limit: a refusal, never a dead server. Nothing is written to disk; the
bytes travel through pipes only.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import resource
import select
import signal
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from medpath.findings import Code
from medpath.gc_paused import gc_paused
from medpath.pipeline.guard.fork_server import READER_MODULE, fork_server
from medpath.pipeline.guard.size_guards import cells_left
from medpath.pipeline.map.schema import schema_of
from medpath.pipeline.read.reading import RawTable, ReadError, measure, read_tables
from medpath.protocol import Protocol

_MiB = 2**20
_LENGTH = struct.Struct("<Q")


@dataclass(frozen=True)
class ReaderLimits:
    """The hard limits of one read. The defaults leave room for the largest file MedPath accepts (25 MiB,
    200,000 rows; see bench/) and stop a crafted one within seconds."""

    #: address space the worker may add to what it maps when it starts (the imported reader)
    memory_bytes: int = 2048 * _MiB
    #: CPU seconds for the size guards, before the file's size is known (a crafted chain that loops ends here)
    guard_cpu_seconds: float = 5.0
    #: then CPU seconds per million cells the guards measured (about 2 are needed: bench/), on top of the guards'
    cpu_seconds_per_million_cells: float = 5.0
    #: and never more CPU seconds than this in all (the kernel sends SIGXCPU, then SIGKILL a second later)
    cpu_seconds: int = 30
    #: wall-clock seconds from the request to the end of the worker's answer
    wall_seconds: float = 40.0
    #: bytes of the pickled tables the worker may send back to the server (the largest upload the memory budget
    #: admits, 5.2 M cells, pickles to about 50 MB)
    output_bytes: int = 96 * _MiB


DEFAULT_LIMITS = ReaderLimits()


@dataclass(frozen=True)
class FileRead:
    """One file as the worker read it: its size in cells (``medpath.pipeline.read.reading.Measured.cells``) and its tables, or
    ``None`` when it was measured only, being larger than the cells it was allowed."""

    tables: list[RawTable] | None
    cells: int


class _Broken(Exception):
    """The worker broke a limit or ended without an answer; the text says how."""


def read_upload(
    name: str, data: bytes, protocol: Protocol, limits: ReaderLimits = DEFAULT_LIMITS, max_cells: int | None = None
) -> FileRead:
    """Measure and read one file in a disposable worker (see the module docstring); a file of more than
    ``max_cells`` cells (``medpath.pipeline.guard.size_guards``' memory budget) is measured only, so that nothing of it reaches
    this process. Raises ``ReadError`` for a file the reader refuses and for a worker that crashed or broke one of
    ``limits``."""
    deadline = time.monotonic() + limits.wall_seconds
    job_read, job_write = os.pipe()
    answer_read, answer_write = os.pipe()
    try:
        pid = fork_server(READER_MODULE).fork(job_read, answer_write)
    except OSError:  # the fork server ended (killed from outside): the next read starts another
        os.close(job_read)
        os.close(answer_read)
        os.close(answer_write)
        os.close(job_write)
        raise _unsafe(name, "its reader process could not be started; try again") from None
    os.close(job_read)
    os.close(answer_write)
    finished = False
    try:
        job = pickle.dumps((name, data, protocol, limits, max_cells), protocol=pickle.HIGHEST_PROTOCOL)
        _send(job_write, job, deadline, limits)
        os.close(job_write)
        job_write = -1
        blob = _receive(answer_read, deadline, limits)
        with gc_paused():  # a million small objects at once: the cyclic collector would triple the time
            _, value = _answer(blob)
        finished = True
    except _Broken as exc:
        raise _unsafe(name, str(exc)) from None
    finally:
        if job_write >= 0:
            os.close(job_write)
        os.close(answer_read)
        if not finished:
            _kill(pid)
    if isinstance(value, FileRead):  # kind "read" (``_answer`` checked each kind's value)
        return value
    if isinstance(value, ReadError):  # "refused"
        raise value
    raise _unsafe(name, str(value))  # "failed"


def read_uploads(
    files: Sequence[tuple[str, bytes]], protocol: Protocol, limits: ReaderLimits = DEFAULT_LIMITS
) -> list[FileRead | ReadError]:
    """Each file of an upload read by ``read_upload`` within the memory budget of the whole upload
    (``medpath.pipeline.guard.size_guards``): a file over what the files before it leave is measured only, nothing of
    it read. A refusal is in the list in place of its file. The study (``medpath.study.load_study``) and the mapping
    step's guess (``medpath.pipeline.map.mapping.best_guess``) are made from one such list: the files are read once."""
    reads: list[FileRead | ReadError] = []
    for name, data in files:
        so_far = sum(r.cells for r in reads if isinstance(r, FileRead))
        try:
            reads.append(read_upload(name, data, protocol, limits, max_cells=cells_left(so_far)))
        except ReadError as exc:
            reads.append(exc)
    return reads


#: what each kind of answer carries
_KINDS = {"read": FileRead, "refused": ReadError, "failed": str}


def _answer(blob: bytes) -> tuple[str, object]:
    """The worker's (kind, value), checked: anything else (a subverted worker's bytes) is ``_Broken``."""
    try:
        kind, value = _Answers(io.BytesIO(blob)).load()
    except _Broken:
        raise
    except Exception:  # not a pickle, or not a pair
        raise _Broken("its reader sent back something that is not a table") from None
    if not isinstance(value, _KINDS.get(kind, ())):
        raise _Broken("its reader sent back something that is not a table")
    return kind, value


class _Answers(pickle.Unpickler):
    """Unpickles a worker's answer allowing only the classes an answer is made of (the reader's tables, findings
    and refusals, and the date and time values of cells): a worker subverted by a crafted file cannot make this
    process run anything by what it sends back."""

    ALLOWED = frozenset(
        {
            ("medpath.pipeline.guard.disposable_reader", "FileRead"),
            ("medpath.pipeline.read.reading", "RawTable"),
            ("medpath.pipeline.read.reading", "ReadError"),
            ("medpath.findings", "Finding"),
            ("medpath.findings", "Code"),
            *(("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")),
        }
    )

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise _Broken(f"its reader sent back something that is not a table ({module}.{name})")
        return super().find_class(module, name)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # it has ended already
        pass


def _wait(fd: int, events: int, deadline: float, limits: ReaderLimits) -> None:
    poller = select.poll()
    poller.register(fd, events)
    if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
        raise _Broken(f"reading it took longer than {limits.wall_seconds:g} s")


def _send(fd: int, blob: bytes, deadline: float, limits: ReaderLimits) -> None:
    view = memoryview(_LENGTH.pack(len(blob)) + blob)
    while view:
        _wait(fd, select.POLLOUT, deadline, limits)
        try:
            view = view[os.write(fd, view[: 1 << 20]) :]
        except BrokenPipeError:
            raise _Broken(_ended(limits)) from None


def _read(fd: int, size: int, deadline: float, limits: ReaderLimits) -> bytes:
    pieces, left = [], size
    while left:
        _wait(fd, select.POLLIN, deadline, limits)
        piece = os.read(fd, min(left, 1 << 20))
        if not piece:
            raise _Broken(_ended(limits))
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def _receive(fd: int, deadline: float, limits: ReaderLimits) -> bytes:
    """The worker's answer: its length first, refused above ``limits.output_bytes`` before it is read."""
    (length,) = _LENGTH.unpack(_read(fd, _LENGTH.size, deadline, limits))
    if length > limits.output_bytes:
        raise _Broken(f"its tables would be {_size(length)}, more than the {_size(limits.output_bytes)} MedPath takes")
    return _read(fd, length, deadline, limits)


def _ended(limits: ReaderLimits) -> str:
    return (
        f"the reader stopped before it finished: it needed more than {_size(limits.memory_bytes)} of memory or more "
        "processor time than a file of its size can need, or the file is crafted to break it"
    )


def _size(n: int) -> str:
    return f"{n / _MiB:,.0f} MiB" if n >= _MiB else f"{n:,} bytes"


def _unsafe(name: str, why: str) -> ReadError:
    return ReadError(
        name,
        f"this file could not be read safely: {why}. Nothing else was affected. If it is a real export, open it in "
        "Excel and save it again as .xlsx, or remove unused sheets, rows and long texts",
        code=Code.FILE_UNSAFE,
    )


class _OutOfTime(Exception):
    """Raised in the worker by SIGXCPU, the kernel's notice that its CPU limit is reached."""


def _out_of_time(signum, frame) -> None:
    raise _OutOfTime


def _limit(limits: ReaderLimits) -> None:
    """The worker's own hard limits (``setrlimit(2)``), set before it reads anything."""
    with open("/proc/self/statm") as statm:  # the first field: the address space mapped now, in pages
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + limits.memory_bytes, mapped + limits.memory_bytes))
    _cpu_limit(limits.guard_cpu_seconds, limits)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXCPU, _out_of_time)


def _cpu_limit(seconds: float, limits: ReaderLimits) -> None:
    """Processor time the worker may have used in all: ``seconds``, at most ``limits.cpu_seconds`` (the soft limit;
    the hard one, a second later, is never raised)."""
    soft = min(max(int(seconds + 0.999), 1), limits.cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, limits.cpu_seconds + 1))


def serve(job_fd: int, answer_fd: int) -> None:
    """The worker (a child of ``medpath.pipeline.guard.fork_server``): the job, its limits, one read, one answer —
    ``("read", FileRead)``, ``("refused", ReadError)`` or ``("failed", why)``."""
    with os.fdopen(job_fd, "rb") as job:
        (length,) = _LENGTH.unpack(job.read(_LENGTH.size))
        name, data, protocol, limits, max_cells = pickle.loads(job.read(length))
    _limit(limits)
    gc.disable()  # a process of one read: the cyclic collector only costs time here (see medpath.gc_paused)
    try:
        measured = measure(name, data)
        used = resource.getrusage(resource.RUSAGE_SELF)
        _cpu_limit(used.ru_utime + used.ru_stime + limits.cpu_seconds_per_million_cells * measured.cells / 1e6, limits)
        tables: list[RawTable] | None = None
        if max_cells is None or measured.cells <= max_cells:
            tables = read_tables(name, data, schema_of(protocol), measured)
        answer: tuple[str, object] = ("read", FileRead(tables, measured.cells))
        blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except ReadError as exc:
        blob = pickle.dumps(("refused", exc))
    except MemoryError:
        blob = pickle.dumps(("failed", f"it needed more than {_size(limits.memory_bytes)} of memory"))
    except _OutOfTime:
        blob = pickle.dumps(("failed", "reading it needed more processor time than a file of its size can need"))
    except BaseException as exc:  # a fault of the reader on these bytes (a Rust panic included): said, never a
        # traceback in the server's log
        blob = pickle.dumps(("failed", f"the reader failed ({type(exc).__name__})"))
    with os.fdopen(answer_fd, "wb") as answer_file:
        answer_file.write(_LENGTH.pack(len(blob)))
        answer_file.write(blob)
