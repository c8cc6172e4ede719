"""``python -m b12core``: see ``b12core.cli``."""

import sys

from b12core.cli import main

sys.exit(main())
