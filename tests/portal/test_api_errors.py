"""Under /api/ even the framework's own refusals are the API's JSON `Error` body (issue 11, finding 11)."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/unit/", "/api/v2/units/", "/api/v1/verify/"])
def test_an_unknown_api_address_is_a_json_404_with_a_stable_code(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert "/api/docs/" in response.json()["message"]


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/v1/verify/PDS-2025-000001"])
def test_a_method_an_api_address_does_not_take_is_a_json_405_that_says_which_it_takes(client, path):
    response = client.delete(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_page_that_does_not_exist_is_still_the_portals_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "页面不存在" in response.content.decode()
