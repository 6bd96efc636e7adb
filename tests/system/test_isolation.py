"""Each test starts with an empty queue, also when it never asks for the `redis` fixture: a job one test
leaves behind must not reach the next. The two tests run in this order (pytest keeps a module's order)."""

from starlette.applications import Starlette

from domain.jobs import enqueue_recompute, recompute_job_id
from partnerpulse.settings import Settings

LEFT_BEHIND = 424242  # no such project: the job only has to sit in the queue


async def test_a_test_may_leave_a_job_in_the_queue(app: Starlette, settings: Settings) -> None:
    assert await enqueue_recompute(app.state.redis, settings.redis_namespace, LEFT_BEHIND)
    assert await app.state.redis.zcard(settings.queue_name) == 1


async def test_the_next_test_starts_with_an_empty_queue(app: Starlette, settings: Settings) -> None:
    assert await app.state.redis.zcard(settings.queue_name) == 0
    job_id = recompute_job_id(settings.redis_namespace, LEFT_BEHIND)
    assert not await app.state.redis.exists(f"arq:job:{job_id}")
    # and the job id is free again: an enqueue is not dropped as a duplicate of the old one
    assert await enqueue_recompute(app.state.redis, settings.redis_namespace, LEFT_BEHIND)
