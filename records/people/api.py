"""Registry API: HR bureaus add units, unit reviewers add staff. Refusals are 400 with a stable code and save
nothing (ce_portal.errors shapes them); a caller without the role, or a region outside theirs, gets 404.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ce_portal.clock import business_today
from ce_portal.errors import NotFound, error_responses
from records.people.access import scope_for
from records.people.models import IndustryAuthority, Professional, Region, Role, Unit
from records.people.rules import StaffRowInvalid, clean_staff_row, normalize_credit_code, validate_credit_code
from records.people.selectors import reviewer_units
from records.people.services import professional_enrol, unit_create


def _require_role(request, *roles) -> None:
    scope = scope_for(request.user)
    if not any(scope.has(role) for role in roles):
        raise NotFound("未找到。")


# Each serializer has a name of its own: the schema's components are named after the classes, and two
# nested `InputSerializer`s once documented the units' operation with the professionals' body.
class UnitIn(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    credit_code = serializers.CharField(max_length=24, help_text="统一社会信用代码（18 位，校验位须正确）。")
    kind = serializers.ChoiceField(choices=Unit.Kind.choices)
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True,
        help_text="区划代码，如 410402；县（市、区）人社局可不填，默认为本县区。",
    )
    authority = serializers.PrimaryKeyRelatedField(
        queryset=IndustryAuthority.objects.all(), required=False, allow_null=True
    )

    def validate_credit_code(self, value):
        value = normalize_credit_code(value)
        validate_credit_code(value)
        return value


class UnitOut(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "credit_code", "kind", "region", "authority"]


class ProfessionalIn(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    id_number = serializers.CharField(required=False, allow_blank=True)
    specialty = serializers.CharField(required=False, allow_blank=True)
    title_level = serializers.CharField(
        required=False, allow_blank=True,
        help_text="none / junior / intermediate / associate_senior / senior"
                  "（也可用中文：未定级、初级、中级、副高级、正高级）",
    )
    phone = serializers.CharField(required=False, allow_blank=True)
    started_on = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                       help_text="YYYY-MM-DD，不填为今天")
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False,
                                              help_text="负责多个单位时必填")

    def validate_unit(self, unit):
        if unit not in self.context["units"]:
            raise serializers.ValidationError("请选择您负责的单位。", code="unit_out_of_scope")
        return unit

    def validate(self, attrs):
        units = self.context["units"]
        if "unit" not in attrs:
            if len(units) != 1:
                raise serializers.ValidationError({"unit": [ErrorDetail("请指定单位。", code="unit_required")]})
            attrs["unit"] = units[0]
        try:
            attrs["row"] = clean_staff_row(today=self.context["today"], **{
                key: attrs.get(key) for key in ("name", "id_number", "specialty", "title_level", "phone",
                                                "started_on")
            })
        except StaffRowInvalid as exc:
            errors: dict[str, list] = {}
            for error in exc.errors:
                errors.setdefault(error.field, []).append(ErrorDetail(error.message, code=error.code))
            raise serializers.ValidationError(errors)
        return attrs


class ProfessionalOut(serializers.ModelSerializer):
    """The person added, with the unit they joined and the day they joined it (from the context)."""

    unit = serializers.SerializerMethodField(help_text="入职的单位")
    started_on = serializers.SerializerMethodField(help_text="入职日期")

    class Meta:
        model = Professional
        fields = ["id", "name", "id_number", "specialty", "title_level", "phone", "status", "unit", "started_on"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_unit(self, professional) -> int:
        return self.context["unit"].pk

    @extend_schema_field(OpenApiTypes.DATE)
    def get_started_on(self, professional) -> str:
        return self.context["started_on"].isoformat()


# Session callers: DRF answers a request without a session (or without the CSRF token) 403, not 401, since
# a session has no WWW-Authenticate challenge to offer.
_REFUSALS = {
    400: "数据有误，未做任何保存；errors 逐字段说明。",
    403: "未登录，或缺少 CSRF 令牌。",
    404: "没有该操作的角色，或所指区域、单位不在您的范围内。",
    415: "Content-Type 不是 application/json。",
}


class UnitCreateApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="unit_create", request=UnitIn,
                   responses={201: UnitOut, **error_responses(_REFUSALS)}, summary="添加用人单位")
    def post(self, request):
        _require_role(request, Role.COUNTY_HR, Role.CITY_HR)
        serializer = UnitIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = unit_create(name=data["name"], credit_code=data["credit_code"], kind=data["kind"],
                           region=data.get("region"), authority=data.get("authority"), actor=request.user)
        return Response(UnitOut(unit).data, status=status.HTTP_201_CREATED)


class ProfessionalCreateApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="professional_create", request=ProfessionalIn,
                   responses={201: ProfessionalOut, **error_responses(_REFUSALS)}, summary="添加本单位专业技术人员")
    def post(self, request):
        _require_role(request, Role.UNIT_REVIEWER)
        serializer = ProfessionalIn(data=request.data, context={
            "units": reviewer_units(request.user), "today": business_today(),
        })
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        professional = professional_enrol(unit=data["unit"], row=data["row"], actor=request.user)
        body = ProfessionalOut(professional, context={"unit": data["unit"], "started_on": data["row"].started_on})
        return Response(body.data, status=status.HTTP_201_CREATED)
