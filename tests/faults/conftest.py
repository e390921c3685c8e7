import pytest

from tests.faults.processes import PrivateRedis, stop


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, stopped at the end whatever happened."""
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def workers():
    """Start Celery workers with `workers(env)`; every one still running is stopped at the end."""
    from tests.faults.processes import start_worker

    started = []

    def start(env, queues: tuple[str, ...] = ()):
        process = start_worker(env, queues)
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process, timeout=30)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test's own, started; stopped and removed at the end whatever happened."""
    from tests.faults.processes import PrivatePostgres

    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
