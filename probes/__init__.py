"""ETF/SAM-style probes: Nagios output, built-in checks, timelines and A/R.

Pure Python with no Django import, so the glue (models, Celery tasks, STOMP publication,
API, dashboard) layers on top and the core is tested without a database. The data flow:

    nagios      plugin output, perfdata and threshold ranges (spec 2.2)
    plugin      run an external plugin; every failure becomes UNKNOWN with its reason
    inputs      plain inputs of the built-in probes (vac-protocol field names)
    builtin     built-in probes over those inputs, and the BUILTIN_PROBES registry
    model       metric names, probe definitions/results, the canonical record (2.7) and its
                metricOutput and MONIT sam3 renderings (2.5)
    scheduler   which targets are due when, spread over the interval; lateness
    operations  ARGO truth tables as data (3.2)
    timeline    metric step functions and downtime overrides (3.3)
    aggregate   metric -> endpoint -> flavour -> group -> site (3.1)
    ar          daily and period availability/reliability (3.4)
    feed        VO-feed (ATP) XML of Vac/Vcycle spaces (2.4)
"""

from __future__ import annotations
