"""One sweep trial in its own process: ``python -m bnpl.sweep.trial JOB.json``.

Runs the notebook through :func:`bnpl.runner.run_notebook` as a child MLflow run of the
sweep's parent run, then writes ``result.json`` next to the job (atomically, so a killed
trial leaves no result and counts as failed): status, MLflow run id, the run's metrics,
and the error line of a failed notebook.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from bnpl.io import write_json

RESULT = "result.json"


def run_job(job_path: Path) -> int:
    from bnpl import store
    from bnpl.runner import NotebookFailed, RunResult, run_notebook

    job = json.loads(job_path.read_text())
    if job.get("pruning"):  # the notebook's kernel inherits this and reports intermediate values
        from bnpl.sweep.prune import ENV

        os.environ[ENV] = json.dumps(job["pruning"])
    out: dict[str, Any] = {"status": "FAILED", "run_id": None, "metrics": {}, "error": None, "seconds": None}
    r: RunResult | None
    try:
        r = run_notebook(job["notebook"], job["params"], out_root=job["out_root"], experiment=job["experiment"],
                         progress=False, parent_run_id=job["parent_run_id"])
    except NotebookFailed as e:
        r = e.result
        out["error"] = str(e)
    except Exception as e:  # noqa: BLE001 — whatever went wrong, the orchestrator gets one line
        r = None
        out["error"] = f"{type(e).__name__}: {e}".splitlines()[0]
    if r is not None:
        client = store.client()
        for k, v in job["tags"].items():
            client.set_tag(r.run_id, k, v)
        out.update(status=r.status, run_id=r.run_id, seconds=round(r.seconds, 2),
                   metrics=client.get_run(r.run_id).data.metrics, run_dir=str(r.out_dir))
    write_json(job_path.with_name(RESULT), out)
    return 0 if out["status"] == "FINISHED" else 1


if __name__ == "__main__":
    from bnpl.cli import _quiet_libraries, stacks_on_sigusr1

    _quiet_libraries()
    stacks_on_sigusr1()
    sys.exit(run_job(Path(sys.argv[1])))
