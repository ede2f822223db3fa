"""``python -m echem``: the ``echem`` command (see :mod:`echem.cli`)."""

import sys

from echem.cli import main

sys.exit(main())
