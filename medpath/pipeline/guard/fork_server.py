"""A small fork server: a clean process that imports a worker module once and forks one child per job.

``medpath.pipeline.guard.disposable_reader`` reads every upload in a child of this server. The server is a fresh interpreter
(``python -m medpath.pipeline.guard.fork_server MODULE FD``), never a fork of the multi-threaded dashboard, so a child starts
in milliseconds with the reader already imported and with nothing of the dashboard in it: no other session's
data, no locks held by other threads. (``multiprocessing``'s *forkserver* method does the same, but re-runs the
calling program's ``__main__`` in every child — the dashboard's script under Streamlit.)

How a job runs: the caller makes two pipes and sends the server, over a Unix socket pair, the child's ends (the
read end of the job pipe, the write end of the answer pipe: ``SCM_RIGHTS``, ``socket.send_fds``); the server
forks, answers the child's pid, and closes its copies. The child runs ``MODULE.serve(job_fd, answer_fd)`` and
leaves with ``os._exit``. Children are reaped by the kernel (``SIGCHLD`` ignored). The server ends when its
caller does (the socket's end-of-file). One server per process: a process made by ``os.fork`` starts its own.
Nothing is written to disk.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from functools import cache

_PID = struct.Struct("<q")
#: the worker module of the uploads' reader; ``python -m medpath`` and the dashboard start its server first thing
READER_MODULE = "medpath.pipeline.guard.disposable_reader"


class ForkServer:
    """The caller's end of one running fork server (``fork_server(module)`` makes it)."""

    def __init__(self, module: str):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket = mine
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "medpath.pipeline.guard.fork_server", module, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()

    def fork(self, job_fd: int, answer_fd: int) -> int:
        """Fork a child that serves one job on these two descriptors (they stay open here; close them after);
        returns the child's pid."""
        with self._lock:
            socket.send_fds(self._socket, [b"j"], [job_fd, answer_fd])
            reply = b""
            while len(reply) < _PID.size:
                piece = self._socket.recv(_PID.size - len(reply))
                if not piece:
                    raise OSError("the fork server ended")
                reply += piece
        return _PID.unpack(reply)[0]

    def alive(self) -> bool:
        return self._process.poll() is None


@cache
def _server_of(pid: int, module: str) -> ForkServer:
    return ForkServer(module)


def fork_server(module: str) -> ForkServer:
    """This process's fork server for ``module``, started on first use (and again if it has died)."""
    server = _server_of(os.getpid(), module)
    if not server.alive():
        _server_of.cache_clear()
        server = _server_of(os.getpid(), module)
    return server


def _serve_forever(module: str, fd: int) -> None:
    """The server's loop: one fork per request, until the caller's end of the socket closes."""
    worker = importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller; the server ends with it
    with socket.socket(fileno=fd) as connection:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(connection, 1, 2)
            except OSError:
                return
            if not message or len(fds) != 2:
                return
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    connection.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    worker.serve(*fds)
                    code = 0
                finally:
                    os._exit(code)
            for each in fds:
                os.close(each)
            connection.sendall(_PID.pack(pid))


if __name__ == "__main__":
    _serve_forever(sys.argv[1], int(sys.argv[2]))
