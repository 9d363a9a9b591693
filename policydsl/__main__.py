"""`python -m policydsl` runs the command line."""

import sys

from policydsl.cli import main

sys.exit(main())
