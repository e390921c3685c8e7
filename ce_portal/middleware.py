"""Under /api/ every answer is the API's: an address that does not exist, or a method an address does not
take, is refused with the `Error` body (JSON, a stable code) as DRF refuses everything else, never with the
portal's HTML page (or a YAML or empty body) that a program cannot read."""
from django.http import JsonResponse

API_PREFIX = "/api/"
# The statuses Django or a documentation view answers itself, before or outside DRF's exception handler.
FRAMEWORK_REFUSALS = {
    404: ("not_found", "没有这个接口地址，请对照接口文档 /api/docs/。"),
    405: ("method_not_allowed", "该接口地址不接受 {method} 请求。"),
}


def api_errors_as_json(get_response):
    def middleware(request):
        response = get_response(request)
        refusal = FRAMEWORK_REFUSALS.get(response.status_code)
        if refusal is None or not request.path.startswith(API_PREFIX) or _is_json(response):
            return response
        code, message = refusal
        answer = JsonResponse({"code": code, "message": message.format(method=request.method)},
                              status=response.status_code, json_dumps_params={"ensure_ascii": False})
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer

    return middleware


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
