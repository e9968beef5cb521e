"""Allow ``python -m hotspots``."""

import sys

from hotspots.cli import main

sys.exit(main())
