"""Browser-side protection (issue 11, finding 5): a Content-Security-Policy without inline script or style,
templates that need none, and production settings that `manage.py check --deploy` finds nothing to say about."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent.parent
# Rendered by WeasyPrint into a PDF, never shown to a browser: its <style> meets no policy.
PDF_TEMPLATES = ROOT / "templates" / "records" / "pdf"
BROWSER_TEMPLATES = [p for p in (ROOT / "templates").rglob("*.html") if PDF_TEMPLATES not in p.parents]

INLINE = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "an on…= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "a style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def test_every_page_template_does_without_inline_script_and_style():
    found = [f"{path.relative_to(ROOT)}: {what}" for path in BROWSER_TEMPLATES
             for what, pattern in INLINE.items()
             if pattern.search(re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S))]
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/register/", "/verify/"])
def test_pages_carry_a_policy_that_allows_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def _production(*args):
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' (Playwright runs an event loop): no production has it.
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(CE_PORTAL_ENV="production", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="false",
               ALLOWED_HOSTS="jxjy.example.gov.cn", FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
               ID_NUMBER_HASH_KEY=secrets.token_urlsafe(40))
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_finds_nothing_in_production_settings():
    # Every check, the API schema's included (its generation warns about nothing since issue 11, finding 11).
    result = _production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_and_asks_for_it_for_a_year():
    script = ("from django.conf import settings as s; "
              "print(s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, "
              "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    result = _production("shell", "--no-imports", "-c", script)
    assert result.stdout.split() == ["True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "31536000", "True", "True",
                                     "True"], result.stderr
