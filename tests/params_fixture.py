"""A parameter model used by the runner tests."""
from pydantic import Field

from bnpl.params import NotebookParams


class DemoParams(NotebookParams):
    seed: int = 0
    scale: float = Field(0.5, gt=0)
