"""Dead letters: tasks that failed after their last retry, listed and replayed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from almanac.api.deps import CeleryDep, SessionDep
from almanac.api.error_responses import errors
from almanac.api.schemas import DeadLetterOut, TaskAccepted
from almanac.db.dead_letter_queries import (
    DeadLetterNotFound,
    get_dead_letter,
    list_dead_letters,
    mark_replayed,
)
from almanac.db.models import DeadLetter

router = APIRouter(prefix="/dead-letters", tags=["operations"])


@router.get("", response_model=list[DeadLetterOut])
def dead_letters(session: SessionDep, replayed: bool = False) -> list[DeadLetterOut]:
    """Tasks that failed for good, newest first; `replayed=true` includes those replayed."""
    return [_out(letter) for letter in list_dead_letters(session, include_replayed=replayed)]


def _out(letter: DeadLetter) -> DeadLetterOut:
    return DeadLetterOut(
        id=letter.id,
        task_id=letter.task_id,
        task_name=letter.task_name,
        args=letter.args,
        keyword_args=letter.kwargs,
        error=letter.error,
        traceback=letter.traceback,
        retries=letter.retries,
        failed_at=letter.failed_at,
        replayed_at=letter.replayed_at,
        replay_task_id=letter.replay_task_id,
    )


@router.post(
    "/{letter_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses=errors(404, e404="No such dead letter"),
)
def replay(
    letter_id: int, session: SessionDep, celery: CeleryDep, request: Request
) -> TaskAccepted:
    """Send the task again with its arguments; follow the new task at `status_url`."""
    try:
        letter = get_dead_letter(session, letter_id)
    except DeadLetterNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    sent = celery.send_task(letter.task_name, args=letter.args, kwargs=letter.kwargs)
    mark_replayed(letter, sent.id)
    session.commit()
    return TaskAccepted(
        task_id=sent.id, status_url=str(request.url_for("get_task", task_id=sent.id))
    )
