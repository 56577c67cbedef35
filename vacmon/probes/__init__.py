"""ETF/SAM-style probes: Nagios output, built-in checks, timelines and A/R.

Everything in this package is pure Python with no Django import, so the Django glue
(models, Celery tasks, publication) can be layered on top and the core tested without a DB.
"""

from __future__ import annotations
