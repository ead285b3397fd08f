"""EDEN: DNN inference on approximate DRAM within an accuracy target.

The package import stays light (no Lightning, MLflow or Hydra): heavy libraries are imported where used.
"""

__version__ = "0.1.0"
