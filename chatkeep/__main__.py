from __future__ import annotations

import sys

from chatkeep.cli import main

sys.exit(main())
