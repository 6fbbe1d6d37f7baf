"""Stage 1 of the reading pipeline: what a file will cost, bounded from its bytes before anything is allocated
(``size_guards``), and the disposable worker process that reads one file under limits of its own
(``fork_server``, ``disposable_reader``)."""
