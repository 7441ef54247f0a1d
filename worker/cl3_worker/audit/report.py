"""What an audit found, gathered span by span into the task's result."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cl3_common.store import Row
from cl3_worker.audit.compare import Chunk, differences

MAX_DIFFERENCES = 10_000  # listed in the result; all are counted


@dataclass
class AuditReport:
    repair: bool
    stored: int = 0
    rest: int = 0
    archive: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)
    differences_total: int = 0
    candles_differing: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    repaired_from: Counter[str] = field(default_factory=Counter)

    def compare(self, chunk: Chunk) -> None:
        self.stored += len(chunk.stored)
        self.rest += len(chunk.rest or ())
        self.archive += len(chunk.archive or ())
        last = None
        for difference in differences(chunk):
            self.differences_total += 1
            if difference["open_time"] != last:
                self.candles_differing += 1
                last = difference["open_time"]
            if len(self.differences) < MAX_DIFFERENCES:
                self.differences.append(difference)

    def repaired(self, fixes: list[tuple[Row, str]]) -> None:
        self.repaired_from.update(source for _, source in fixes)

    def as_result(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "candles": {"stored": self.stored, "rest": self.rest, "archive": self.archive},
            "candles_differing": self.candles_differing,
            "differences_total": self.differences_total,
            "differences": self.differences,
            "truncated": self.differences_total > len(self.differences),
            "files": self.files,
            "files_by_status": dict(Counter(f["status"] for f in self.files)),
            "repair": self.repair,
        }
        if self.repair:
            result["repaired"] = sum(self.repaired_from.values())
            result["repaired_from"] = dict(self.repaired_from)
        return result
