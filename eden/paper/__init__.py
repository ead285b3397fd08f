"""Reproduction of the paper's platform figures on its own networks (Table 3), which cannot be trained here.

``reproduce`` evaluates every network × format × platform at once (``python -m eden.paper.reproduce``);
``table_sweep`` runs one job per network as a Hydra sweep (``python -m eden.paper.table_sweep +sweep=paper_table``).
"""
