"""DRAM devices, operating points, partitions, and energy and latency models (each part is a YAML in conf/dram/).

- :mod:`eden.dram.device`: ``DramDevice`` (abstract), the ``DRAMS`` registry, ``load_device(path)``
- :mod:`eden.dram.operating_point`: ``OperatingPoint``, BER curves and their inverse
- :mod:`eden.dram.partitions`: ``make_partitions``, ``Partition``
- :mod:`eden.dram.stream`: ``AccessStream``, the input of
- :mod:`eden.dram.energy` (TN-40-07 / DRAMPower IDD method) and :mod:`eden.dram.latency`
"""
