"""The platform API's OpenAPI schema and browsable docs, served without any CDN."""
import pytest
import yaml

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
