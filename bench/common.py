"""What the benches share: a fresh database, the city's data, a logged-in bench user, a time-stamped log line."""
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fresh_database(url: str) -> None:
    """Drop the database `url` names (whoever is connected) and create it empty."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = sql.Identifier(parts.path.lstrip("/"))
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def city_database(url: str, *, reuse: bool, size: str = "city") -> None:
    """Django set up on the city's data in `url` (os.environ holds the bench's settings): a fresh database,
    migrated and seeded with `seed_demo --size city`; or, with `reuse`, the one a previous run loaded, migrated
    again (the code may have gained migrations since)."""
    steps = [("migrate", "-v0")] if reuse else [("migrate", "-v0"), ("seed_demo", "--size", size)]
    if not reuse:
        fresh_database(url)
    for args in steps:
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=os.environ)
        log(f"manage.py {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bench_login(username: str, first_name: str, role: str, **scope) -> tuple:
    """A bench user holding `role` over `scope` (made on the first run) and a session key logged in as it,
    for the load's Cookie header."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    from records.people.models import RoleMembership

    user, created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": first_name})
    if created:
        RoleMembership.objects.create(user=user, role=role, **scope)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.AllowAllUsersModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return user, session.session_key
