"""What a job records when it is about to raise: only the last attempt speaks for the task.

Earlier attempts are retried by RQ (and resume); recording them as failed would flash a
failure to the user that the retry then takes back.
"""

from __future__ import annotations

from rq import get_current_job

from cl3_common.tasks import TaskRecorder


def is_last_attempt() -> bool:
    job = get_current_job()
    return job is None or not job.retries_left


def fail_if_last_attempt(recorder: TaskRecorder, task_id: str, code: str, message: str) -> None:
    if is_last_attempt():
        recorder.failed(task_id, code, message)
