"""How many imports a process runs at once, and how many of them one caller's.

An import holds connections for its whole length (a job two: its transaction's and the one
that tells pollers it is alive) and a long transaction, so a caller who starts twenty at once
would starve everyone else of the pool. Each import, a job or a file answered at once, dry run
or not, takes a slot here before it reads its file, and gives it back when it ends; beyond the
caller's or the process's share the answer is 429 with Retry-After.

Counted per process: each process has its own pool, and a job runs in the process that took
its file."""

import threading
import time
import uuid
from dataclasses import dataclass, field

from app.core.config import Settings
from app.core.errors import ProblemError

# A slot handed to a job that never started (its request failed after taking the slot) is
# freed after this long, so a lost hand-over cannot shrink the process's share for good.
UNCLAIMED_FOR = 60.0
RETRY_AFTER = 5  # seconds: a small import ends in that time; a big one is polled anyway


class ImportsBusy(ProblemError):
    """Too many imports running: of this caller, or in this server process."""

    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER)})


@dataclass
class ImportSlot:
    caller: uuid.UUID
    owner: "ImportSlots"
    claim_by: float | None = None  # set while handed over to a job not yet started
    released: bool = field(default=False)

    @property
    def handed_over(self) -> bool:
        return self.claim_by is not None

    def hand_over(self) -> None:
        """The slot goes with a job that starts after the request ends."""
        self.claim_by = time.monotonic() + UNCLAIMED_FOR

    def claim(self) -> None:
        """The job's worker has started: the slot is held until it ends."""
        self.owner._claim(self)

    def release(self) -> None:
        self.owner._release(self)


class ImportSlots:
    def __init__(self, per_caller: int, per_process: int) -> None:
        self.per_caller, self.per_process = max(1, per_caller), max(1, per_process)
        self._held: list[ImportSlot] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "ImportSlots":
        # Each running import may hold two connections of the pool's overflow (db_pool_size
        # connections beside the requests'): never more imports than fit in it.
        fits = max(1, settings.db_pool_size // 2)
        return cls(settings.import_jobs_per_caller, min(settings.import_jobs_per_process, fits))

    def take(self, caller: uuid.UUID) -> ImportSlot:
        with self._lock:
            self._forget_unclaimed()
            mine = sum(1 for slot in self._held if slot.caller == caller)
            if mine >= self.per_caller:
                raise ImportsBusy(
                    f"You already have {mine} imports running, as many as one caller may. Wait "
                    "for one to end (poll its job) and send the file again.")
            if len(self._held) >= self.per_process:
                raise ImportsBusy(
                    f"This server is running {len(self._held)} imports, as many as it runs at "
                    "once. Send the file again in a few seconds.")
            slot = ImportSlot(caller, self)
            self._held.append(slot)
            return slot

    def running(self) -> int:
        with self._lock:
            self._forget_unclaimed()
            return len(self._held)

    def _forget_unclaimed(self) -> None:
        now = time.monotonic()
        for slot in [s for s in self._held if s.claim_by is not None and s.claim_by < now]:
            slot.released = True
            self._held.remove(slot)

    def _claim(self, slot: ImportSlot) -> None:
        with self._lock:
            slot.claim_by = None
            if slot.released:  # handed over too long ago: it counts again from now
                slot.released = False
                self._held.append(slot)

    def _release(self, slot: ImportSlot) -> None:
        with self._lock:
            if not slot.released:
                slot.released = True
                self._held.remove(slot)
