"""CRR publication glue: the pure `publisher` package does the building and validation.

inputs.py     read the latest statuses in the window from the store
services.py   build every format, validate, store or refuse; claims, fan-out, settings
documents.py  the document table: current version, kept versions, refusals, counters
selectors.py  the served version of a target (the hot path) and the index
views.py      /crr/ documents and index; api.py the settings API; admin.py; tasks.py
"""
