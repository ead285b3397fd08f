"""Baseline: train the network on reliable memory with Lightning (or load the cached checkpoint), measure its
accuracy, and record every data type's value range for the zeroing of implausible values (EDEN §5.2)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from eden.context import RunContext

log = logging.getLogger(__name__)
#: Registry members whose code this stage runs (their source is part of its cache key).
MEMBERS: tuple[str, ...] = ()
RANGE_SAMPLES = 10_000  # training images whose IFMs define the recorded ranges


def determining(ctx: RunContext) -> dict[str, Any]:
    trainer = ctx.node("trainer")
    data = ctx.node("data")
    for runtime_only in ("accelerator", "progress_bar"):
        trainer.pop(runtime_only, None)
    for runtime_only in ("eval_batch_size", "num_workers", "root"):
        data.pop(runtime_only, None)
    return {"model": ctx.node("model"), "data": data, "trainer": trainer, "seed": int(ctx.cfg.seed)}


def environment(ctx: RunContext) -> dict[str, Any]:
    """Machine facts the trained weights depend on, for the stage key (``eden.pipeline.stage_key``).

    CPU training sums in an order that depends on the intra-op thread count: LeNet-5's weights after 30 Adam
    steps differ bitwise between 1 and 2 threads, with ``torch.use_deterministic_algorithms(True)`` and with
    oneDNN off alike, and are identical across runs with the same count (BENCHMARKS.md, "Replay"). Torch
    promises no more, so the count (``OMP_NUM_THREADS``, else the number of cores) is part of the key, with the
    torch version whose kernels produced the weights.
    """
    from eden.host import training_environment

    return training_environment()


def training_split(ctx: RunContext) -> tuple[Any, Any]:
    """(training part, validation part) of the training set: ``trainer.val_fraction`` held out (seeded) for early
    stopping when ``trainer.patience`` > 0, else (whole training set, None). Retraining uses the same training part."""
    import torch
    from torch.utils.data import Subset

    full = ctx.data.train_set
    if int(ctx.cfg.trainer.patience) == 0:
        return full, None
    n = len(full)  # type: ignore[arg-type]
    k = max(1, round(n * float(ctx.cfg.trainer.val_fraction)))
    order = torch.randperm(n, generator=ctx.generator(offset=2)).tolist()
    return Subset(full, order[k:]), Subset(full, order[:k])


class BestOnValidation:
    """Early stopping: validation accuracy after every epoch; stop after ``patience`` epochs without a new best and
    restore the best epoch's weights at the end of the fit."""

    def __init__(self, ctx: RunContext, model: Any, val: Any, patience: int) -> None:
        import pytorch_lightning as pl

        from eden.evaluation import accuracy

        loader = ctx.data.eval_loader_from(val)
        outer = self
        self.best, self.best_epoch, self.history = -1.0, -1, []  # type: ignore[var-annotated]
        self.state: dict[str, Any] | None = None

        class Callback(pl.Callback):
            def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
                acc = accuracy(model, loader, ctx.device)
                outer.history.append(acc)
                module.log("val_acc", acc)
                if acc > outer.best:
                    outer.best, outer.best_epoch = acc, trainer.current_epoch
                    outer.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                elif trainer.current_epoch - outer.best_epoch >= patience:
                    trainer.should_stop = True
                log.info("epoch %d: validation accuracy %.4f (best %.4f at epoch %d)", trainer.current_epoch, acc,
                         outer.best, outer.best_epoch)  # fmt: skip

            def on_fit_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
                if outer.state is not None:
                    model.load_state_dict(outer.state)

        self.callback = Callback()


def train(
    ctx: RunContext,
    model: Any,
    *,
    max_epochs: int,
    lr: float,
    run_id: str | None,
    callbacks: list,
    lr_schedule: str = "constant",
    label: str = "baseline",  # the stage name its epoch lines start with
) -> None:
    """Fit ``model`` on the training part (``training_split``) with Lightning, logging to the given MLflow run.

    Off a terminal (stderr redirected) there is no progress bar; one line per epoch is logged instead."""
    import pytorch_lightning as pl

    from eden.logs import epoch_line_callback, progress_bar_enabled
    from eden.training.classifier import Classifier

    tc = ctx.cfg.trainer
    logger: Any = False
    if run_id is not None:
        from pytorch_lightning.loggers import MLFlowLogger

        logger = MLFlowLogger(tracking_uri=ctx.tracker.uri, run_id=run_id)
    module = Classifier(
        model,
        optimizer=tc.optimizer,
        lr=lr,
        momentum=tc.momentum,
        weight_decay=tc.weight_decay,
        lr_schedule=lr_schedule,
    )
    part, _ = training_split(ctx)
    loader = ctx.data.train_loader(ctx.generator(offset=1), dataset=part)
    bar = progress_bar_enabled(bool(tc.progress_bar))
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        accelerator="gpu" if ctx.device.type == "cuda" else "cpu",
        devices=1,
        logger=logger,
        callbacks=[*callbacks, *([] if bar else [epoch_line_callback(label)])],
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=bar,
        log_every_n_steps=max(1, min(50, len(loader))),  # at least once per epoch (Lightning warns otherwise)
        # CUDA: ops without a deterministic kernel (adaptive average pooling's backward in every torchvision
        # ResNet) warn instead of refusing to train; on the CPU every op is deterministic
        deterministic=True if ctx.device.type == "cpu" else "warn",
    )
    pl.seed_everything(int(ctx.cfg.seed), workers=True, verbose=False)
    model.train()  # Lightning keeps the modes it is given; a loaded checkpoint arrives in eval mode (BN, dropout)
    trainer.fit(module, train_dataloaders=loader)


def compute(ctx: RunContext, folder: Path, run_id: str | None) -> dict[str, Any]:
    import torch

    from eden.cache import atomic_write_bytes
    from eden.evaluation import accuracy
    from eden.ranges import record_value_ranges

    model = ctx.build_model()
    _, val = training_split(ctx)
    stopper = BestOnValidation(ctx, model, val, int(ctx.cfg.trainer.patience)) if val is not None else None
    train(
        ctx,
        model,
        max_epochs=int(ctx.cfg.trainer.max_epochs),
        lr=float(ctx.cfg.trainer.lr),
        run_id=run_id,
        callbacks=[stopper.callback] if stopper is not None else [],
    )
    model = model.to(ctx.device).eval()
    acc = accuracy(model, ctx.data.eval_loader(), ctx.device)
    ranges = record_value_ranges(
        model,
        ctx.data_types,
        ctx.data.eval_loader_from(ctx.data.train_set),
        max_samples=RANGE_SAMPLES,
        device=ctx.device,
    )
    import io

    buf = io.BytesIO()
    torch.save(model.cpu().state_dict(), buf)
    atomic_write_bytes(folder / "model.pt", buf.getvalue())
    log.info("baseline: fp32 accuracy %.4f", acc)
    return {
        "acc_fp32": acc,
        "best_epoch": stopper.best_epoch + 1 if stopper is not None else int(ctx.cfg.trainer.max_epochs),
        "val_history": stopper.history if stopper is not None else [],
        "ranges": {k: list(v) for k, v in ranges.items()},
        "data_types": [d.key for d in ctx.data_types],
    }


def load_model(ctx: RunContext, folder: Path) -> Any:
    """The trained baseline network from its cached checkpoint, with one clear line if it is absent or does not fit.

    The checkpoint is left where it is (a wrong file is the user's to inspect or delete): a missing, truncated or
    foreign checkpoint (another model, another number of classes) is a ``DataError`` naming the file, what is
    wrong with it, and how to recompute it.
    """
    import torch

    from eden.errors import DataError

    path = folder / "model.pt"
    target = ctx.cfg.model._target_
    model = ctx.build_model()
    fix = f"delete {folder} to recompute it"

    def bad(what: str) -> DataError:
        return DataError(f"checkpoint {path.name} does not fit model={target}: {what}; allowed: a state dict of "
                         f"that model as the stage saved it ({fix})")  # fmt: skip

    if not path.is_file():
        raise DataError(f"checkpoint {path} is missing; allowed: the stage's saved state dict ({fix})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt pickle raises anything (IndexError, KeyError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise bad(f"unreadable ({first})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise bad(f"it holds a {type(state).__name__}, not a state dict of tensors")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = [f"{len(missing)} missing key(s) (first {missing[0]})"] if missing else []
        parts += [f"{len(unexpected)} unexpected key(s) (first {unexpected[0]})"] if unexpected else []
        raise bad(", ".join(parts))
    for k, v in expected.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise bad(f"{k} has shape {tuple(state[k].shape)}, the model {tuple(v.shape)}")
    model.load_state_dict(state)
    return model.to(ctx.device).eval()


def finalize(ctx: RunContext, result: dict[str, Any]) -> dict[str, float]:
    """``baseline_acc``: accuracy with weights and IFMs stored in ``cfg.format`` on reliable memory."""
    from eden.stages.common import clean_accuracy, set_ranges

    set_ranges(ctx, result["ranges"])
    model = load_model(ctx, ctx.folders["baseline"])
    ctx.memo["baseline_acc_full"] = acc = clean_accuracy(ctx, model)  # validate's reference: measured once
    metrics = {"baseline_acc": acc, "baseline_acc_fp32": float(result["acc_fp32"])}
    if "best_epoch" in result:
        metrics["baseline_best_epoch"] = float(result["best_epoch"])
    return metrics
