"""`python -m factories ...`: see factories.cli."""

from __future__ import annotations

import sys

from factories.cli import main

sys.exit(main())
