"""Logs a person can read: no progress bar off a terminal, one line per epoch, short numbers, quiet libraries.

Output that goes to a file (a cluster job, ``> log 2>&1``) must stay small and line-oriented: a progress bar
written to a file is thousands of carriage-return updates. So the bar is shown only when stderr is a terminal
(and ``trainer.progress_bar`` allows it); otherwise :class:`EpochLine` logs one line per epoch. Sweep jobs prefix
every log line with their job number and varied overrides (:func:`prefix_job_lines`), and the run's summary and
last error line also go to Hydra's ``run.log`` (:func:`to_run_log`).
"""

from __future__ import annotations

import logging
import math
import sys
import time
import warnings
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("eden.progress")


def sig3(value: float) -> str:
    """A number with 3 significant digits (``0.0442``, ``1.23e-05``, ``0.951``): what a person compares."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.3g}"


def progress_bar_enabled(requested: bool) -> bool:
    """Lightning's bar only where a person watches it: ``trainer.progress_bar`` and stderr is a terminal."""
    return bool(requested) and sys.stderr.isatty()


class LineFormatter(logging.Formatter):
    """``[20:45:04] message`` for INFO, ``[20:45:04] WARNING eden.x: message`` for warnings and errors.

    Hydra's default (``[2026-12-06 20:45:04,376][eden.stages.characterize][INFO] - ``) spends 50 characters of
    every line on what a reader rarely needs; the date is in the output folder's name. Set in ``conf/run.yaml``
    (``hydra.job_logging.formatters.simple``) for the console and ``run.log``.
    """

    def __init__(self, format: str | None = None, datefmt: str | None = None) -> None:  # "format": the dictConfig key
        super().__init__(format or "[%(asctime)s] %(message)s", datefmt or "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            stamp, _, rest = text.partition("] ")
            return f"{stamp}] {record.levelname} {record.name}: {rest}"
        return text


class _DropMessages(logging.Filter):
    def __init__(self, prefixes: Iterable[str]) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.prefixes)


_quieted = False


def quiet_third_party() -> None:
    """Silence known-harmless messages of the libraries (idempotent; called by the entry points)."""
    global _quieted
    if _quieted:
        return
    _quieted = True
    # torch >= 2.9 deprecates `LeafSpec`; Lightning 2.6's _pytree still builds one per batch (not our code, no effect).
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)", category=FutureWarning)
    # Lightning advertises its cloud logger (litlogger) on every Trainer; EDEN logs to MLflow.
    # "GPU/TPU/HPU available" repeat per Trainer what the run's config (trainer.accelerator) already says.
    # "`Trainer.fit` stopped: `max_epochs=N` reached" and "Loading `train_dataloader` to estimate number of stepping
    # batches" restate the configured epochs and the cosine schedule's set-up; EDEN logs each epoch itself.
    logging.getLogger("pytorch_lightning.utilities.rank_zero").addFilter(
        _DropMessages(
            ("💡 Tip:", "GPU available:", "TPU available:", "HPU available:", "`Trainer.fit` stopped:", "Loading `")
        )
    )
    # MLflow's SQLite store reports its schema creation and migrations at INFO on a fresh store (bookkeeping).
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def script_logging() -> None:
    """Logging for the ``python -m eden.science.*`` studies: timestamped INFO lines, library noise silenced."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    quiet_third_party()


def to_run_log(text: str, level: int = logging.INFO) -> None:
    """Write ``text`` to the file handlers of the root logger only (Hydra's ``run.log``), not to the console."""
    record = logging.LogRecord("eden", level, __file__, 0, text, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


class _JobPrefix(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "eden_prefixed", False):
            record.msg = f"{self.prefix.replace('%', '%%') if record.args else self.prefix} {record.msg}"
            record.eden_prefixed = True
        return True


def job_prefix(info: dict[str, Any]) -> str:
    """``[#3 error_model=bitline platform=gpu]`` for a sweep job; empty for a single run."""
    from eden.tracking.tags import swept_overrides

    num = info.get("num")
    if num is None:
        return ""
    return " ".join([f"[#{num}", *swept_overrides(info)])[:120] + "]"


def prefix_job_lines(prefix: str) -> None:
    """Prefix every log line of this process with the sweep job's ``prefix`` (two jobs' lines interleave).

    An earlier job's prefix (a serial launcher runs jobs in one process) is replaced; ``""`` removes it.
    """
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _JobPrefix)]:
            handler.removeFilter(old)
        if prefix:
            handler.addFilter(_JobPrefix(prefix))


def epoch_line_callback(label: str) -> Any:
    """A Lightning callback logging one line per epoch: epoch, BER, mean loss, accuracy, seconds."""
    import pytorch_lightning as pl

    class EpochLine(pl.Callback):
        def __init__(self) -> None:
            self.start = time.perf_counter()
            self.loss_sum, self.batches = 0.0, 0

        def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.start = time.perf_counter()
            self.loss_sum, self.batches = 0.0, 0

        def on_train_batch_end(
            self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            if loss is not None:
                self.loss_sum += float(loss)
                self.batches += 1

        def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            metrics = trainer.callback_metrics
            ber = float(metrics["retrain_ber"]) if "retrain_ber" in metrics else 0.0
            # callbacks run before the module's own epoch end, which resets its counts: read them here
            acc = float(getattr(module, "epoch_accuracy", float("nan")))
            loss = self.loss_sum / max(1, self.batches)
            log.info(
                "[%s] epoch %d/%d: BER %s, loss %s, accuracy %s, %.1f s",
                label,
                trainer.current_epoch + 1,
                trainer.max_epochs,
                sig3(ber),
                sig3(loss),
                sig3(acc),
                time.perf_counter() - self.start,
            )

    return EpochLine()


class Steps:
    """Numbered progress of a search: ``[coarse unboosted] step 3/12 BER 0.00224: acc 0.953 → pass, ETA 14 s``.

    ``total`` is the planned number of evaluations (a bisection's is known up front); the ETA is the mean time per
    step so far times the steps left. A search that stops early simply ends; one that runs longer counts on.
    """

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(1, int(total)), 0
        self.start = time.perf_counter()

    def log(self, text: str, *args: Any) -> None:
        """Log one finished step: ``text % args`` after the step count, the ETA at the end."""
        self.done += 1
        left = max(0, self.total - self.done)
        per_step = (time.perf_counter() - self.start) / self.done
        eta = f", ETA {per_step * left:.0f} s" if left else ""
        count = f"{self.done}/{self.total}" if self.done <= self.total else str(self.done)
        log.info("[%s] step %s " + text + "%s", self.label, count, *args, eta)
