"""Task progress, results and cancellation; other users' tasks do not exist for a caller."""

from __future__ import annotations

from typing import Any

from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.fields import TaskId
from chalicelib.inputs import Inputs, NoInputs
from chalicelib.schemas import Canceled, Progress, TaskResult

routes = RouteGroup("tasks")


class TaskPath(Inputs):
    task_id: TaskId


@routes.get(
    "/api/task/{task_id}/progress",
    summary="Progress of one of your tasks (from Redis, cheap to poll)",
    path_params=TaskPath,
    responses={200: ResponseDoc("Where the task is.", Progress)},
    errors=(404,),
)
def progress(call: Call[TaskPath, NoInputs, NoInputs]) -> dict[str, Any]:
    return call.runtime.tasks.progress(call.user, call.path.task_id)


@routes.get(
    "/api/task/{task_id}/result",
    summary="The result of one of your finished tasks",
    description="409 `not_finished` until the task has finished; its progress says why.",
    path_params=TaskPath,
    responses={200: ResponseDoc("The stored result; its fields depend on `type`.", TaskResult)},
    errors=(404, 409),
)
def result(call: Call[TaskPath, NoInputs, NoInputs]) -> dict[str, Any]:
    return call.runtime.tasks.result(call.user, call.path.task_id)


@routes.delete(
    "/api/task/{task_id}",
    summary="Cancel one of your queued or running tasks",
    description="A task that has already ended keeps its status, which is returned.",
    path_params=TaskPath,
    responses={200: ResponseDoc("The task's status now.", Canceled)},
    errors=(404,),
)
def cancel(call: Call[TaskPath, NoInputs, NoInputs]) -> dict[str, Any]:
    return call.runtime.tasks.cancel(call.user, call.path.task_id)
