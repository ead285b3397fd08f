"""Built-in mapping strategies (EDEN §6): ``coarse``, ``fine`` (Algorithm 1) and ``optimal`` (beyond the paper)."""
