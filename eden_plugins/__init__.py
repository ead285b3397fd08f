"""Built-in members of EDEN's registries (the folder is the import name): one small module per member.

Sub-packages are grouped by registry (``error_model``, ``dram``, ``platform``, ``mapping``); each module
registers itself with the matching registry of the core and has a YAML of the same name in ``conf/<group>/``.
"""
