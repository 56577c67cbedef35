"""Who may send and read, and how far each stored message can be trusted (spec 8, 9.1).

- `udp`: per-site UDP policy (open, networks, signed), checked on the raw JSON object;
- `http`: HTTP ingest authentication with site tokens or OIDC JWTs;
- `tokens`, `oidc`: the two kinds of bearer token;
- `drf`, `middleware`: the same bearer authentication for the API and the dashboard;
- `ratelimit`: per-source token buckets; `filters`: the CRR trusted-only switch.
"""
