"""bnpl.tracking: several processes creating and tagging one experiment, or one run, at once."""

from __future__ import annotations

import multiprocessing as mp

import pytest

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


def test_set_tags_retries_a_tag_another_process_inserted_first():
    """MLflow's SQL store refuses the second of two concurrent inserts of one tag (seen on PostgreSQL with two
    sweep workers); set_tags retries, and gives up with the store's error after ``attempts``."""
    from mlflow.exceptions import MlflowException

    from bnpl.tracking import set_tags

    class Store:
        def __init__(self, conflicts):
            self.conflicts, self.tags, self.calls = conflicts, {}, 0

        def set_tag(self, run_id, key, value):
            self.calls += 1
            if self.conflicts:
                self.conflicts -= 1
                raise MlflowException('duplicate key value violates unique constraint "tag_pk"')
            self.tags[key] = value

    store = Store(conflicts=2)
    set_tags(store, "run", {"sweep.pending": "0", "best_run_id": "r1"})
    assert store.tags == {"sweep.pending": "0", "best_run_id": "r1"} and store.calls == 4
    with pytest.raises(MlflowException, match="tag_pk"):
        set_tags(Store(conflicts=5), "run", {"sweep.pending": "0"}, attempts=3)
