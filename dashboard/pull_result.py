"""What one pull did: the result every run of a source returns (``Puller.run_source``, ``accept``, a
push_down pull) and the status word it is logged under in ``pull_runs``."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullResult:
    source: str
    dataset: str
    started_at: float
    finished_at: float
    rows_ok: int = 0
    rows_quarantined: int = 0
    error: str = ""
    version: int = 0
    skipped: bool = False  # the previous run of this source was still going
    held: bool = False  # the publish guard held this pull's rows
    notes: tuple[str, ...] = ()  # warnings a good pull still carries (region ids not on the map)
    cancelled: bool = False  # an operator cancelled its job before it published

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def status(self) -> str:
        """As in ``pull_runs.status``."""
        for word, flag in (("skipped", self.skipped), ("held", self.held), ("cancelled", self.cancelled),
                           ("failed", bool(self.error))):
            if flag:
                return word
        return "ok"

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at
