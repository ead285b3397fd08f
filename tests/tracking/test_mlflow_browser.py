"""The MLflow UI lists a sweep's runs: a real server on 127.0.0.1, a real headless Chromium (slow).

Nothing is installed here: without /usr/bin/chromium the test skips (CI installs chromium and chromium-driver).
The runs are logged *through the server* (``http://`` tracking URI), as workers on other machines would.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow_helpers import mlflow_server
from synthetic_runs import ERROR_MODELS, PLATFORMS, fill_platforms

CHROMIUM = Path("/usr/bin/chromium")
SERVER_WAIT_S = 90
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1600,2400",  # tall enough that the grid renders all 16 rows (it virtualizes off-screen rows)
]


def render(url: str, profile: Path) -> str:
    """The DOM after the single-page app has rendered (Chromium's virtual time runs its scripts to idle)."""
    cmd = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom"]
    proc = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_experiment_page_lists_every_run_of_a_sweep(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium chromium-driver")
    with mlflow_server(tmp_path, wait_s=SERVER_WAIT_S) as url:
        fill_platforms(url)  # through the server's REST API
        client = MlflowClient(tracking_uri=url)
        exp = client.get_experiment_by_name("eden")
        assert exp is not None
        runs = client.search_runs([exp.experiment_id], "tags.sweep = 'platforms'")
        assert len(runs) == len(ERROR_MODELS) * len(PLATFORMS)
        dom = render(f"{url}/#/experiments/{exp.experiment_id}/runs", tmp_path / "chromium-profile")
        names = [r.info.run_name for r in runs]
        missing = [n for n in names if f">{n}<" not in dom]
        assert not missing, f"runs not listed on the experiment page: {missing}"
        assert "Run Name" in dom  # the runs table itself, not an error page that happens to echo names
        assert f">platforms#{len(names)}<" not in dom  # control: a run that does not exist is not found
