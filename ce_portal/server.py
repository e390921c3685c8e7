"""gunicorn's settings for the portal: `gunicorn -c python:ce_portal.server ce_portal.wsgi` (scripts/demo,
docker-compose.yml and the benches all start it so).

Once a worker has loaded the application, its objects (Django, the URL maps, the compiled templates) live
as long as the worker: `gc.freeze()` takes them out of the collector's view, so the full collections that the
pages' many short-lived objects trigger no longer walk them all. On the review queue under load this cut the
slowest requests (p99, 8 connections on 2 cores) from ≈ 95 to ≈ 85 ms (bench/results/review_300k.txt).
"""
import gc


def post_worker_init(worker):
    gc.freeze()
