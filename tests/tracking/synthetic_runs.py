"""A small MLflow store filled through MlflowClient with runs shaped like the pipeline's (fast, no training)."""

from __future__ import annotations

import math
import time
from pathlib import Path

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from eden.tracking import ensure_experiment

EXPERIMENT = "eden"
ERROR_MODELS = ("uniform", "bitline", "wordline", "data_dependent")
PLATFORMS = ("cpu", "gpu", "eyeriss", "tpu")
FORMATS = ("int4", "int8", "int16", "fp32")
#: Tolerable BER of each error model (synthetic; ordered as the paper's Fig. 8 finds EM0 least harmful).
TOLERANCE = {"uniform": 3e-3, "bitline": 2e-3, "wordline": 1e-3, "data_dependent": 5e-4}
#: Relative tolerance per format: wider formats flip more significant bits per error (EDEN §6, Fig. 8).
FORMAT_SCALE = {"int4": 4.0, "int8": 2.0, "int16": 1.0, "fp32": 0.1}
DATA_TYPES = ("conv1.weights", "conv1.ifm", "conv2.weights", "conv2.ifm", "fc1.weights", "fc1.ifm")
#: Share of DRAM energy per component at nominal, and the part EDEN saves of each (synthetic, per platform).
PARTS = {"activate": 0.3, "background": 0.2, "read": 0.4, "write": 0.1}
SAVING = {"cpu": 0.20, "gpu": 0.35, "eyeriss": 0.30, "tpu": 0.30}


def accuracy(ber: float, tolerance: float) -> float:
    """A falling logistic in log(BER): 0.98 well below ``tolerance``, 0.1 (chance) well above."""
    return 0.1 + 0.88 / (1 + math.exp(3 * (math.log10(ber) - math.log10(tolerance) - 0.3)))


def log_run(client: MlflowClient, exp_id: str, tags: dict[str, str], metrics: dict[str, float],
            curves: dict[str, float] | None = None) -> str:  # fmt: skip
    sweep = tags["sweep"]
    done = client.search_runs([exp_id], f"tags.sweep = '{sweep}'")
    name = f"{sweep}#{len(done)}"
    run = client.create_run(exp_id, run_name=name, tags=tags)
    now = int(time.time() * 1000)
    batch = [Metric(k, v, now, 0) for k, v in metrics.items()]
    for name, tol in (curves or {}).items():
        for step, ber in enumerate(10.0 ** (-7 + 0.5 * i) for i in range(12)):
            acc = accuracy(ber, tol)
            half = 0.01 + 0.5 * acc * (1 - acc) / 4  # widest mid-curve, as a binomial interval
            batch += [
                Metric(f"curve.{name}.ber", ber, now, step),
                Metric(f"curve.{name}.acc", acc, now, step),
                Metric(f"curve.{name}.low", acc - half, now, step),
                Metric(f"curve.{name}.high", min(1.0, acc + half), now, step),
            ]
    params = [Param("target.max_drop", "0.01")]
    client.log_batch(run.info.run_id, metrics=batch, params=params, tags=[RunTag(k, v) for k, v in tags.items()])
    client.set_terminated(run.info.run_id, "FINISHED")
    return str(run.info.run_id)


def fill_platforms(uri: str) -> list[str]:
    """The ``platforms`` sweep: 4 error models × 4 platforms, full pipeline metrics; returns the run ids."""
    client = MlflowClient(tracking_uri=uri)
    exp_id = ensure_experiment(uri, EXPERIMENT)
    ids = []
    for i, em in enumerate(ERROR_MODELS):
        tol = TOLERANCE[em]
        for platform in PLATFORMS:
            saving = SAVING[platform] * (1 + 0.1 * (3 - i))
            metrics = {
                "baseline_acc": 0.98,
                "boosted_acc": 0.979,
                "tolerable_ber_coarse_unboosted": tol,
                "tolerable_ber_coarse": 5 * tol,
                "final_acc": 0.975 - 0.002 * (3 - i),
                "dram_energy_reduction": saving,
                "speedup": 1.05,
                **{f"tolerance.{d}": tol * (2 + j) for j, d in enumerate(DATA_TYPES)},
                **{f"energy_nominal_j.{k}": 1e-3 * s for k, s in PARTS.items()},
                **{f"energy_j.{k}": 1e-3 * s * (1 - saving) for k, s in PARTS.items()},
            }
            tags = {"sweep": "platforms", "error_model": em, "platform": platform, "format": "int8",
                    "model": "lenet5", "data": "mnist", "retrain": "curricular", "mapping": "fine"}  # fmt: skip
            ids.append(log_run(client, exp_id, tags, metrics, {"unboosted": tol, "boosted_0": 5 * tol}))
    return ids


def fill_error_models(uri: str) -> list[str]:
    """The ``error_models`` sweep: 4 error models × 4 formats, stage=boost (curves and coarse BER only)."""
    client = MlflowClient(tracking_uri=uri)
    exp_id = ensure_experiment(uri, EXPERIMENT)
    ids = []
    for em in ERROR_MODELS:
        for fmt in FORMATS:
            tol = TOLERANCE[em] * FORMAT_SCALE[fmt]
            tags = {"sweep": "error_models", "error_model": em, "format": fmt, "model": "lenet5", "retrain": "none"}
            metrics = {"baseline_acc": 0.98, "boosted_acc": 0.98, "tolerable_ber_coarse_unboosted": tol}
            ids.append(log_run(client, exp_id, tags, metrics, {"unboosted": tol}))
    return ids


def fresh_store(tmp: Path) -> str:
    return f"sqlite:///{(tmp / 'mlflow.db').as_posix()}"
