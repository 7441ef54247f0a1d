"""Tasks: the contract between handlers (who enqueue) and workers (who run and report)."""

from cl3_common.tasks.contracts import ALL_QUEUES, JobContract, TaskType
from cl3_common.tasks.recorder import TaskRecorder
from cl3_common.tasks.service import TaskService

__all__ = ["ALL_QUEUES", "JobContract", "TaskRecorder", "TaskService", "TaskType"]
