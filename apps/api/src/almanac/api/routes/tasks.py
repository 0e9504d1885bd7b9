"""Following a task the API or the schedule started."""

from __future__ import annotations

from celery.result import AsyncResult
from fastapi import APIRouter

from almanac.api.deps import CeleryDep
from almanac.api.schemas import TaskOut

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("/{task_id}", response_model=TaskOut, name="get_task")
def get_task(task_id: str, celery: CeleryDep) -> TaskOut:
    """A task's state (PENDING, STARTED, SUCCESS, FAILURE, …) and its result."""
    result = AsyncResult(task_id, app=celery)
    state = result.state
    if state == "FAILURE":
        return TaskOut(id=task_id, name=result.name, state=state, error=repr(result.result))
    value = result.result if state == "SUCCESS" else None
    return TaskOut(id=task_id, name=result.name, state=state, result=value)
