"""DRAM devices, operating points, partitions, and energy and latency models."""
