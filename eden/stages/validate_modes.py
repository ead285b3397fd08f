"""The ways a finer mapping that misses the joint check backs off towards its coarse floor (``validate.fine_backoff``).

Kept apart from :mod:`eden.stages.validate` so the config validation can list them without importing the stage.
"""

from __future__ import annotations

#: ``scale``: every per-type tolerance times one common factor (bisected in log scale), re-mapped by the strategy;
#: ``offenders``: the worst offenders (bytes x BER) one partition or grid step per round.
FINE_BACKOFFS: tuple[str, ...] = ("scale", "offenders")
