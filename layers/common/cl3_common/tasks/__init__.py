"""Tasks: the contract between handlers (who submit) and workers (who run and report).

`contracts` (types, queues, the one enqueue), `recorder` (the only writer of task state),
`state` (the one reader, and which store is the truth for what), `service` (the API's side).
"""

from cl3_common.tasks.contracts import ALL_QUEUES, CONTRACTS, JobContract, TaskType, enqueue_task
from cl3_common.tasks.recorder import TaskRecorder
from cl3_common.tasks.service import TaskService
from cl3_common.tasks.state import TaskReader, TaskState

__all__ = [
    "ALL_QUEUES",
    "CONTRACTS",
    "JobContract",
    "TaskReader",
    "TaskRecorder",
    "TaskService",
    "TaskState",
    "TaskType",
    "enqueue_task",
]
