"""Work started in several threads at the same instant, each with its own database connection (Django's
connections are per thread): how the tests race two requests against each other for real."""
import threading

from django.db import connections


def at_once(work, times: int = 2) -> list:
    """What `work()` returned in each of `times` threads let go together; the first error any raised."""
    start_line = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            start_line.wait(timeout=10)
            results.append(work())
        except Exception as error:  # raised below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
