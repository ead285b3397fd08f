"""Mapping (EDEN §6): place each data type in a DRAM partition whose operating point's BER it tolerates.

- :mod:`eden.mapping.base`: the ``Mapping`` strategy base class and the ``MAPPINGS`` registry
- :mod:`eden.mapping.space`: data (size, tolerance), partitions and points a strategy chooses over
- :mod:`eden.mapping.assign`: EDEN Algorithm 1 with its open points fixed
- :mod:`eden.mapping.points`: the partitions' operating points (levels, spares, coarse point) strategies share
- :mod:`eden.mapping.table`: the mapping table, its JSON/CSV/Markdown files and its validation

Strategies live in ``eden_plugins.mapping`` (``coarse``, ``fine``, ``optimal``); they share code only through
this package, never by importing one another.
"""
