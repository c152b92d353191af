"""What the AMLSim experiment scripts share: loading the data set for a command line."""
from __future__ import annotations

import warnings

import numpy as np

from bnpl.data.loaders import load_fraud
from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError
from bnpl.fraud.graph import label_vector


def load_amlsim_or_exit(path: str) -> tuple[FraudData, np.ndarray]:
    """The AMLSim folder at ``path`` and its label vector; a bad path or file exits with one line
    (``error: ...``). Silences the UserWarnings of the feature code for a readable console."""
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        data = load_fraud("amlsim", path)
    except BnplError as e:
        raise SystemExit(f"error: {e}") from None
    return data, label_vector(data)
