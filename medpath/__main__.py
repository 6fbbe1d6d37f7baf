import sys

from medpath.cli import main

sys.exit(main())
