"""``python -m medpath``: the same as the ``medpath`` command (medpath.cli). The reader's fork server
(``medpath.pipeline.guard.disposable_reader``) is started first, so that it imports the reader on the other core while the
command line imports the rest."""

from medpath.pipeline.guard.fork_server import READER_MODULE, fork_server

fork_server(READER_MODULE)

from medpath.cli import main  # noqa: E402

raise SystemExit(main())
