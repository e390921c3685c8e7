"""What the benches share: a fresh database, a logged-in bench user, a time-stamped log line."""
import time
from urllib.parse import urlsplit, urlunsplit


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
