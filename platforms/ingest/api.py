"""The platform ingestion API: platforms push completed online-learning records (自动登记学时), and the
platform's credentials: `Authorization: Bearer <token>`, where only the token's SHA-256 is stored.
"""
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ce_portal.clock import business_now
from ce_portal.errors import error_responses
from platforms.ingest import rules as ingest
from platforms.ingest.models import PlatformToken
from platforms.ingest.rules import hash_token
from platforms.ingest.services import platform_records_ingest
from platforms.registry.models import LearningPlatform

# last_used_at is for city_hr's "is this token still in use" question; minute precision is plenty and saves
# a write on every request of a bulk push.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


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


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = f"请求体超过 {ingest.MAX_BODY_BYTES // (1024 * 1024)} MB，请减少每批记录数。"


def _refuse_constant(name):
    raise ValueError(f"不接受 {name}")


class IngestJSONParser(BaseParser):
    """JSON with numbers read as Decimal (hours never pass through float), without NaN/Infinity, and with
    its failures (too large, too deep, not UTF-8) turned into clear 4xx answers instead of a 500."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(ingest.MAX_BODY_BYTES + 1)
        if len(body) > ingest.MAX_BODY_BYTES:
            raise PayloadTooLarge()
        try:
            return json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise exceptions.ParseError(str(exc)[:200]) from exc


class PlatformRecordIn(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="平台内唯一的记录编号；重发同一编号同一内容视为重复，不重复登记。")
    id_number = serializers.CharField(min_length=18, max_length=18, help_text="学员身份证号码（18 位半角数字，末位可为 X，校验位须正确）。")
    name = serializers.CharField(max_length=64, help_text="学员姓名，须与登记的姓名一致。")
    course_title = serializers.CharField(max_length=200, help_text="课程名称。")
    category = serializers.ChoiceField(
        choices=list(ingest.CATEGORY_LABELS.items()),
        help_text="科目类别：附件1 平台只能登记 public（公需科目），附件2 平台只能登记 professional（专业科目）。",
    )
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=Decimal("0.5"), max_value=ingest.MAX_RECORD_HOURS,
        help_text="学时，以 0.5 为单位；可为 JSON 数字或字符串。",
    )
    completed_at = serializers.DateTimeField(help_text="完成时间，ISO 8601；不带时区时按北京时间理解。")


class IngestRequest(serializers.Serializer):
    # A ListField, not PlatformRecordIn(many=True): the schema gets minItems/maxItems from its validators.
    records = serializers.ListField(child=PlatformRecordIn(), min_length=1, max_length=ingest.MAX_BATCH,
                                    help_text=f"1 至 {ingest.MAX_BATCH} 条记录。")


class RecordResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="该记录在 records 中的位置（从 0 起）。")
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    code = serializers.CharField(required=False, help_text="仅 rejected：稳定的错误代码，见接口说明。")
    message = serializers.CharField(required=False, help_text="仅 rejected：中文原因。")
    field = serializers.CharField(required=False, help_text="仅 rejected：有问题的字段。")


class IngestResponse(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = RecordResult(many=True)


_RECORD_EXAMPLE = {
    "external_id": "HNZJ-2025-000123",
    "id_number": "41040019650101903X",
    "name": "张爱丽",
    "course_title": "专业技术人员职业道德与诚信建设",
    "category": "public",
    "hours": "3",
    "completed_at": "2025-05-01T10:30:00+08:00",
}


_ERROR_EXAMPLES = [
    OpenApiExample("批次超过上限", value={"code": "batch_too_large",
                                       "message": "一批最多 1000 条记录，本批 1200 条，请拆分后重新发送。",
                                       "field": "records"}, status_codes=["400"], response_only=True),
    OpenApiExample("JSON 格式错误", value={"code": "malformed_json",
                                        "message": "请求体不是合法的 JSON：Expecting value: line 1 column 1 (char 0)"},
                   status_codes=["400"], response_only=True),
    OpenApiExample("令牌已吊销", value={"code": "token_revoked", "message": "令牌已被吊销，请联系市人社局重新签发。"},
                   status_codes=["401"], response_only=True),
    OpenApiExample("平台已停用", value={"code": "platform_inactive", "message": "该学习平台已停用，不能登记学时。"},
                   status_codes=["403"], response_only=True),
]


def _description() -> str:
    return "\n".join([
        f"平台使用市人社局在管理后台签发的令牌推送已完成的在线学习记录，每批 1–{ingest.MAX_BATCH} 条，逐条返回结果：",
        "",
        "- `created`：已登记，并立即计入该人员当年学时（自动登记学时）；",
        "- `duplicate`：同一 external_id、同一内容已登记过，本次不重复计入——超时后可放心整批重发；",
        "- `rejected`：未登记；`code` 为稳定的错误代码，`message` 为中文原因，`field` 指明字段。",
        "",
        "每条记录各自成败，一条被拒绝不影响同批其他记录。",
        "",
        "**整批拒绝**（不做任何登记），响应体为 `{\"code\", \"message\"}`：",
        "",
        "| HTTP | code | 含义 |",
        "|---|---|---|",
        *[f"| {status} | `{code}` | {text} |" for (status, code), text in ingest.BATCH_CODES.items()],
        "",
        "**逐条拒绝**（`status` 为 `rejected`）：",
        "",
        "| code | 含义 |",
        "|---|---|",
        *[f"| `{code}` | {text} |" for code, text in ingest.RECORD_CODES.items()],
    ])


class PlatformRecordsIngestApi(APIView):
    authentication_classes = [PlatformTokenAuthentication]
    permission_classes = [IsActivePlatform]
    parser_classes = [IngestJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="platform_records_ingest",
        tags=["学习平台"],
        summary="推送已完成的在线学习记录（自动登记学时）",
        description=_description(),
        request=IngestRequest,
        responses={
            200: IngestResponse,
            **error_responses({
                400: "整批被拒绝，未做任何登记。",
                401: "缺少令牌、令牌无效或已吊销。",
                403: "平台已停用。",
                413: "请求体过大。",
                415: "Content-Type 不是 application/json。",
            }),
        },
        examples=[
            OpenApiExample("一批两条记录", value={"records": [
                _RECORD_EXAMPLE, {**_RECORD_EXAMPLE, "external_id": "HNZJ-2025-000124", "hours": 1.5},
            ]}, request_only=True),
            OpenApiExample("逐条结果", value={
                "received": 3, "created": 1, "duplicate": 1, "rejected": 1,
                "results": [
                    {"index": 0, "external_id": "HNZJ-2025-000123", "status": "duplicate"},
                    {"index": 1, "external_id": "HNZJ-2025-000124", "status": "created"},
                    {"index": 2, "external_id": "HNZJ-2025-000125", "status": "rejected", "code": "name_mismatch",
                     "message": "姓名与该身份证号码登记的姓名不一致。", "field": "name"},
                ],
            }, status_codes=["200"], response_only=True),
            *_ERROR_EXAMPLES,
        ],
    )
    def post(self, request):
        records = ingest.parse_batch(request.data)
        outcomes = platform_records_ingest(platform=request.user.platform, records=records, now=business_now())
        return Response(ingest.outcomes_summary(outcomes))
