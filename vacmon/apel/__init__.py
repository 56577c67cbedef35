"""Django glue for APEL accounting (the pure core is the top-level `apel` package).

- `services`: accept uploaded job records; build summary and sync records;
- `outbox`: DjangoOutbox, the core's outbox protocol on the database;
- `forwarding`: one forwarding pass from the SSM-style config (VACMON_APEL_CONFIG);
- `selectors`: the status the API (`/api/v1/apel/status`) and `/accounting/` show.
"""
