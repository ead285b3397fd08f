"""Built-in ``platform`` members: cpu, gpu (analytical caches) and eyeriss, tpu (SCALE-Sim arrays)."""
