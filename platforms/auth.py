"""Platform API credentials: `Authorization: Bearer <token>`, where only the token's SHA-256 is stored."""
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication

from .models import LearningPlatform, PlatformToken

TOKEN_PREFIX = "cep_"  # lets a leaked token be recognised by secret scanners and in logs
PREFIX_LENGTH = 12  # "cep_" and 8 random characters: enough to tell tokens apart, far too little to guess one
# last_used_at is for city_hr's "is this token still in use" question; minute precision is plenty and saves
# a write on every request of a bulk push.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> tuple[str, str, str]:
    """A new token as (token, prefix, sha256 hex). The token itself is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:PREFIX_LENGTH], hash_token(token)


@dataclass(frozen=True)
class PlatformClient:
    """request.user of an API call made by a platform (not a person)."""

    platform: LearningPlatform
    is_authenticated = True
    is_anonymous = False

    def __str__(self):
        return str(self.platform)


class PlatformTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # → 401 not_authenticated from the permission check
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise exceptions.AuthenticationFailed("Authorization 头应为 “Bearer <令牌>”。", code="invalid_token")
        row = PlatformToken.objects.select_related("platform").filter(token_hash=hash_token(token)).first()
        if row is None:
            raise exceptions.AuthenticationFailed("令牌无效。", code="invalid_token")
        if row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("令牌已被吊销，请联系市人社局重新签发。", code="token_revoked")
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
            PlatformToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return PlatformClient(row.platform), row

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when the token is missing or wrong.
        return f'{self.keyword} realm="platform-api"'


class IsActivePlatform(permissions.BasePermission):
    def has_permission(self, request, view):
        if not isinstance(request.auth, PlatformToken):
            return False
        if not request.auth.platform.active:
            raise exceptions.PermissionDenied("该学习平台已停用，不能登记学时。", code="platform_inactive")
        return True


class PlatformTokenScheme(OpenApiAuthenticationExtension):
    target_class = PlatformTokenAuthentication
    name = "PlatformToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "市人社局在管理后台为平台签发的接口令牌（只显示一次）。",
        }
