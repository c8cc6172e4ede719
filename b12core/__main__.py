"""``python -m b12core``: see ``b12core.cli``."""

import sys

from b12core.cli import main, use_batch_memory_pool

use_batch_memory_pool()
sys.exit(main())
