"""`python -m simulator` is the `diplosim` command."""

import sys

from simulator.cli import main

sys.exit(main())
