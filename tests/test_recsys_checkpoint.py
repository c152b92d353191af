"""Embedding recommenders resume from their last checkpoint with the weights of an uninterrupted run."""
import numpy as np
import pandas as pd
import pytest
import torch

from bnpl.data.splits import leave_last_out_split
from bnpl.errors import BnplError
from bnpl.recsys.evaluate import validation_ndcg
from bnpl.recsys.models import model_class
from bnpl.recsys.models.checkpoint import Checkpoint

N_USERS, N_ITEMS = 120, 30
CONFIGS = {
    "bpr": {"dim": 8, "epochs": 6, "batch_size": 64, "eval_every": 2, "patience": 5},
    "lightgcn": {"dim": 8, "epochs": 6, "batch_size": 64, "eval_every": 2},
    "sasrec": {"dim": 8, "epochs": 6, "batch_size": 32, "max_len": 6, "dropout": 0.3, "negatives": 5, "eval_every": 2},
    "gru4rec": {"dim": 8, "epochs": 6, "batch_size": 32, "max_len": 6, "dropout": 0.3, "negatives": 0, "eval_every": 1},
}


def _interactions() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [(u, int(i), float(t)) for u in range(N_USERS)
            for t, i in enumerate(rng.choice(N_ITEMS, size=rng.integers(3, 9), replace=False))]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "time"])


def _weights(model) -> list[torch.Tensor]:
    net = getattr(model, "net", None) or getattr(model, "model", None)
    if net is not None:
        return [p.detach().clone() for p in net.parameters()]
    return [model.user_emb.weight.detach().clone(), model.item_emb.weight.detach().clone()]


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_resumed_training_equals_uninterrupted(name, early_stopping, tmp_path, monkeypatch):
    """Without early stopping the final weights are those after the last epoch (every generator matters);
    with it, the kept weights and epoch count come through the saved early-stopping state."""
    torch.set_num_threads(1)
    fit_df, val_df = leave_last_out_split(_interactions())
    validate = validation_ndcg(val_df, 5) if early_stopping else None
    cls, params = model_class(name), CONFIGS[name]
    whole = cls(seed=3, **params).fit(fit_df, N_USERS, N_ITEMS, validate=validate)

    path = tmp_path / "ckpt.pt"
    real_save, saves = Checkpoint.save, []

    def save_then_die(self, *args):
        real_save(self, *args)
        saves.append(1)
        if len(saves) == 3:
            raise KeyboardInterrupt  # the process is stopped right after the third epoch's checkpoint
    monkeypatch.setattr(Checkpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        cls(seed=3, checkpoint=str(path), **params).fit(fit_df, N_USERS, N_ITEMS, validate=validate)
    assert path.exists()
    monkeypatch.setattr(Checkpoint, "save", real_save)
    torch.manual_seed(12345)  # a fresh process would not share the first run's generator state
    resumed = cls(seed=3, checkpoint=str(path), **params).fit(fit_df, N_USERS, N_ITEMS, validate=validate)

    assert not path.exists()  # removed once training finished
    assert resumed.tuned == whole.tuned
    for a, b in zip(_weights(whole), _weights(resumed), strict=True):
        assert torch.equal(a, b)


def test_checkpoint_of_another_configuration_is_refused(tmp_path, monkeypatch):
    fit_df = _interactions()
    path = tmp_path / "ckpt.pt"
    real_save = Checkpoint.save

    def save_then_die(self, *args):
        real_save(self, *args)
        raise KeyboardInterrupt
    monkeypatch.setattr(Checkpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        model_class("bpr")(checkpoint=str(path), **CONFIGS["bpr"]).fit(fit_df, N_USERS, N_ITEMS)
    monkeypatch.undo()
    with pytest.raises(BnplError, match="another model, configuration"):
        model_class("bpr")(checkpoint=str(path), **(CONFIGS["bpr"] | {"dim": 4})).fit(fit_df, N_USERS, N_ITEMS)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(BnplError, match="not a readable training checkpoint"):
        model_class("bpr")(checkpoint=str(path), **CONFIGS["bpr"]).fit(fit_df, N_USERS, N_ITEMS)
