"""Bit-exact error injection: error models, weak-cell sets, the read engine and the network injector.

Importing this package is light (torch only); Lightning and MLflow are never imported here.
"""

from eden.injection.engine import Flips, WeakCellMap
from eden.injection.error_model import ERROR_MODELS, CellClass, ErrorModel

__all__ = ["ERROR_MODELS", "CellClass", "ErrorModel", "Flips", "WeakCellMap"]
