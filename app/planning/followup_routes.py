"""HTTP for following an agreed plan through the year: its outcomes' measures and each
priority's feedback thread. Included in planning's router (router.py), whose dependencies
(the caller, JSON bodies) and declared errors every operation here takes on."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.identity.deps import PrincipalDep
from app.planning import measures, threads
from app.planning.followup_schemas import (
    FeedbackMessageRead,
    FeedbackPost,
    MeasureCreate,
    MeasureRead,
)

router = APIRouter()
READ = problems(404)
CREATE = problems(403, 404, 409, 413, 415)
PRIORITY = "/improvement-plans/{plan_id}/priorities/{priority_id}"
OutcomeIndex = Annotated[int, Path(ge=0, le=19, description=(
    "The outcome's place in the priority's `outcomes`, from 0"))]


@router.post(f"{PRIORITY}/outcomes/{{outcome_index}}/measures", operation_id="recordOutcomeMeasure",
             summary="Record a dated measure of an outcome of an agreed plan",
             description="Allowed to the school's headteacher and its link officer (or an "
             "authority admin) once the plan is agreed; 409 before that (a draft or returned "
             "plan is edited directly) and once it is closed. The plan stays agreed: the "
             "outcome's `actual` becomes its latest-dated measure's value. `value` is a number "
             "for percent, count and score outcomes (422 otherwise, naming the rule).",
             status_code=201, response_model=MeasureRead, responses=CREATE)
def record_measure(plan_id: uuid.UUID, priority_id: uuid.UUID, outcome_index: OutcomeIndex,
                   body: MeasureCreate, session: SessionDep,
                   principal: PrincipalDep) -> MeasureRead:
    return measures.record_measure(session, principal, plan_id, priority_id, outcome_index, body)


@router.get(f"{PRIORITY}/outcomes/{{outcome_index}}/measures", operation_id="listOutcomeMeasures",
            summary="The measures of an outcome, by the day measured (oldest first)",
            response_model=Page[MeasureRead], responses=READ)
def list_measures(plan_id: uuid.UUID, priority_id: uuid.UUID, outcome_index: OutcomeIndex,
                  session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                  limit: Limit = 50, cursor: Cursor = None) -> Page[MeasureRead]:
    items, next_cursor = measures.list_measures(session, principal, paginator, plan_id,
                                                priority_id, outcome_index, limit=limit,
                                                cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post(f"{PRIORITY}/feedback", operation_id="postPriorityFeedback",
             summary="Leave feedback on a priority, or reply to it",
             description="The school's link officer (or an authority admin) gives feedback; "
             "the school's headteacher replies, once there is feedback to reply to (409 "
             "before). 409 once the plan is closed.",
             status_code=201, response_model=FeedbackMessageRead, responses=CREATE)
def post_feedback(plan_id: uuid.UUID, priority_id: uuid.UUID, body: FeedbackPost,
                  session: SessionDep, principal: PrincipalDep) -> FeedbackMessageRead:
    return threads.post(session, principal, plan_id, priority_id, body)


@router.get(f"{PRIORITY}/feedback", operation_id="listPriorityFeedback",
            summary="A priority's feedback thread (oldest first)",
            response_model=Page[FeedbackMessageRead], responses=READ)
def list_feedback(plan_id: uuid.UUID, priority_id: uuid.UUID, session: SessionDep,
                  principal: PrincipalDep, paginator: PaginatorDep, limit: Limit = 50,
                  cursor: Cursor = None) -> Page[FeedbackMessageRead]:
    items, next_cursor = threads.thread(session, principal, paginator, plan_id, priority_id,
                                        limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
