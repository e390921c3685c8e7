"""The platform API's OpenAPI schema and browsable docs, served without any CDN."""
import pytest
import yaml
from django.core.management import call_command

from platforms.ingest import rules as ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_documents_the_ingestion_endpoint_with_examples_and_every_code(schema):
    operation = schema["paths"]["/api/v1/platform/records/"]["post"]
    assert operation["security"] == [{"PlatformToken": []}]
    assert schema["components"]["securitySchemes"]["PlatformToken"]["scheme"] == "bearer"
    request = operation["requestBody"]["content"]["application/json"]
    assert request["examples"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "413", "415"}
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    for code in [*ingest.RECORD_CODES, *(code for _, code in ingest.BATCH_CODES)]:
        assert f"`{code}`" in operation["description"]


def test_the_docs_page_uses_the_vendored_swagger_ui(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()


def _component(schema, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def _body(schema, operation: dict) -> dict:
    return _component(schema, operation["requestBody"]["content"]["application/json"]["schema"])


def test_each_registry_operation_documents_its_own_body(schema):
    unit_create = schema["paths"]["/api/v1/units/"]["post"]
    professional_create = schema["paths"]["/api/v1/professionals/"]["post"]
    assert {"name", "credit_code", "kind", "region", "authority"} == set(_body(schema, unit_create)["properties"])
    assert "id_number" in _body(schema, professional_create)["properties"]
    unit_out = _component(schema, unit_create["responses"]["201"]["content"]["application/json"]["schema"])
    assert "credit_code" in unit_out["properties"] and "id_number" not in unit_out["properties"]
    # The registry API reads JSON only, as its documentation says.
    assert set(unit_create["requestBody"]["content"]) == {"application/json"}


def test_every_refusal_is_documented_with_the_one_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "field", "errors"}
    assert error["required"] == ["code", "message"]
    expected = {
        ("/api/v1/units/", "post"): {"201", "400", "403", "404", "415"},
        ("/api/v1/professionals/", "post"): {"201", "400", "403", "404", "415"},
        ("/api/v1/compliance/{id_number}/{year}/", "get"): {"200", "400", "403", "404"},
        ("/api/v1/verify/{serial}", "get"): {"200", "404", "429"},
        ("/api/v1/platform/records/", "post"): {"200", "400", "401", "403", "413", "415"},
    }
    documented = {(path, method): set(op["responses"]) for path, ops in schema["paths"].items()
                  for method, op in ops.items()}
    assert documented == expected
    for (path, method), statuses in expected.items():
        responses = schema["paths"][path][method]["responses"]
        for status in statuses - {"200", "201"} - ({"404"} if "verify" in path else set()):
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_batch_documents_how_many_records_it_holds(schema):
    records = schema["components"]["schemas"]["IngestRequest"]["properties"]["records"]
    assert (records["minItems"], records["maxItems"]) == (1, ingest.MAX_BATCH)


def test_the_schema_is_generated_without_a_warning(tmp_path):
    """drf-spectacular warns when two serializers share a component name (the units' operation was documented
    with the professionals' body) and when it cannot tell what a view answers (the verification API was left
    out): either is a lie in the schema."""
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
