"""Paper-style tables and plots of a sweep from the runs in MLflow (``python -m eden.report --sweep NAME``).

``data`` loads runs into rows, ``plots`` draws the figures, ``cli`` writes tables and plots to a folder.
"""

from eden.report.cli import main, make_report
from eden.report.data import pareto_front

__all__ = ["main", "make_report", "pareto_front"]
