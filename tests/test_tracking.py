"""bnpl.tracking.ensure_experiment: several processes creating and tagging one experiment at once."""

from __future__ import annotations

import multiprocessing as mp

from bnpl.tracking import EXPERIMENT_KIND, ensure_experiment


def _worker(uri: str, name: str, barrier, out) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    barrier.wait()  # all processes hit the empty store together, as parallel sweep trials do
    out.put(ensure_experiment(client, name))


def test_parallel_processes_get_one_tagged_experiment(tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri).search_experiments()  # the schema migration is not what is under test
    ctx = mp.get_context("spawn")
    for round_ in range(3):
        name = f"exp-{round_}"
        barrier, out = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(uri, name, barrier, out)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        ids = {out.get(timeout=5) for _ in procs}
        assert len(ids) == 1
        exp = MlflowClient(tracking_uri=uri).get_experiment(ids.pop())
        assert exp.name == name and exp.tags[EXPERIMENT_KIND[0]] == EXPERIMENT_KIND[1]


def test_existing_tag_is_not_written_again(tmp_path):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    first = ensure_experiment(client, "x")
    calls = []
    client.set_experiment_tag = lambda *a: calls.append(a)  # type: ignore[method-assign]
    assert ensure_experiment(client, "x") == first and calls == []
