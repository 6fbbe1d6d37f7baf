"""``python -m medpath``: the same as the ``medpath`` command (medpath.cli)."""

from medpath.cli import main

raise SystemExit(main())
