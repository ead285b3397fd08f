"""Pipeline stages, one module each: baseline, boost, characterize, map, validate, evaluate.

A stage module defines ``determining(ctx) -> dict`` (the config that decides its result: the cache key) and
``compute(ctx, folder) -> dict`` (JSON-able result; files it writes go to ``folder``).
"""
