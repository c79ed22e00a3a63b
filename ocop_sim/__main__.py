"""``python -m ocop_sim``: the same as the ``ocop-sim`` command."""
import sys

from ocop_sim.cli import main

sys.exit(main())
