import sys

from echem.cli import main

sys.exit(main())
