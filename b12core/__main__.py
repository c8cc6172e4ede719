"""``python -m b12core``: see ``b12core.cli``."""

import sys

from b12core.cli import keep_freed_memory, main

keep_freed_memory()
sys.exit(main())
