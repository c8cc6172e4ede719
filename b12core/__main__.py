"""``python -m b12core``: see ``b12core.cli``."""

import sys

from b12core.cli import main, tune_memory_for_batch

tune_memory_for_batch()
sys.exit(main())
