"""Moving a whole instance: `parley export FILE` and `parley import FILE` (and Slack imports).

It reads and writes every table, so it sits in the assembly layer beside the CLI and the app,
and it is generic over `Base.metadata`: a table a domain adds is carried without this package
knowing it, unless it is derived (listed in `tables.DERIVED`).
"""
