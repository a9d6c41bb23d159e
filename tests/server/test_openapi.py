"""The served OpenAPI document: valid OpenAPI 3.1, complete, and true to the contract."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

# Every endpoint of CONTRACT.md's tables, copied by hand (path parameters normalised to
# ``{}`` since the contract names them ``{id}`` where the server says ``{review_id}``).
CONTRACT_PUBLIC = [
    ("get", "/api/v1/sites/{site}/products/{product}/reviews"),
    ("post", "/api/v1/sites/{site}/products/{product}/reviews"),
    ("post", "/api/v1/sites/{site}/reviews/{review_id}/votes"),
    ("get", "/api/v1/sites/{site}/summaries"),
    ("get", "/api/v1/sites/{site}/products/{product}/comments"),
    ("post", "/api/v1/sites/{site}/products/{product}/comments"),
]
CONTRACT_ADMIN = [
    ("get", "/api/v1/admin/reviews"),
    ("get", "/api/v1/admin/reviews/{id}"),
    ("patch", "/api/v1/admin/reviews/{id}"),
    ("delete", "/api/v1/admin/reviews/{id}"),
    ("post", "/api/v1/admin/reviews/moderate"),
    ("get", "/api/v1/admin/comments"),
    ("get", "/api/v1/admin/comments/{id}"),
    ("patch", "/api/v1/admin/comments/{id}"),
    ("delete", "/api/v1/admin/comments/{id}"),
    ("post", "/api/v1/admin/comments/moderate"),
    ("post", "/api/v1/admin/comments"),
    ("get", "/api/v1/admin/site"),
    ("patch", "/api/v1/admin/site"),
    ("get", "/api/v1/admin/stats"),
]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, normalise(path)): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``) until a real object."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_validates_as_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on any violation; detects 3.1 from the "openapi" field


def test_validator_is_not_vacuous(spec: dict[str, Any]) -> None:
    """The validator does catch the kind of bug it once found here (a doubled "null")."""
    broken = {**spec, "components": {**spec["components"]}}
    broken["components"]["schemas"] = {
        **spec["components"]["schemas"],
        "Broken": {"type": ["object", "null", "null"]},
    }
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


@pytest.mark.parametrize(("method", "path"), CONTRACT_PUBLIC + CONTRACT_ADMIN)
def test_every_contract_endpoint_is_documented(
    spec: dict[str, Any], method: str, path: str
) -> None:
    ops = operations(spec)
    assert (method, normalise(path)) in ops, f"{method.upper()} {path} missing from the spec"


def test_nothing_documented_twice_and_all_under_api_v1(spec: dict[str, Any]) -> None:
    normalised = [normalise(p) for p in spec["paths"]]
    assert len(normalised) == len(set(normalised))
    # The API lives under /api/v1; the operations endpoints are documented as well.
    outside = {p for p in spec["paths"] if not p.startswith("/api/v1/")}
    assert outside == {"/healthz", "/readyz"}


def test_operations_endpoints_are_documented(spec: dict[str, Any]) -> None:
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    assert {"200", "503"} <= set(ready)
    assert "get" in spec["paths"]["/healthz"]


@pytest.mark.parametrize(("method", "path"), CONTRACT_ADMIN)
def test_admin_operations_require_the_bearer_secret_key(
    spec: dict[str, Any], method: str, path: str
) -> None:
    operation = operations(spec)[(method, normalise(path))]
    requirements = operation.get("security", spec.get("security"))
    assert requirements, f"{method.upper()} {path} declares no security"
    schemes = spec["components"]["securitySchemes"]
    for requirement in requirements:
        for name in requirement:
            assert schemes[name]["type"] == "http"
            assert schemes[name]["scheme"].lower() == "bearer"


@pytest.mark.parametrize(("method", "path"), CONTRACT_PUBLIC)
def test_public_operations_need_no_secret(spec: dict[str, Any], method: str, path: str) -> None:
    operation = operations(spec)[(method, normalise(path))]
    assert not operation.get("security", spec.get("security"))


@pytest.mark.parametrize(("method", "path"), CONTRACT_PUBLIC + CONTRACT_ADMIN)
def test_error_responses_are_problem_details(spec: dict[str, Any], method: str, path: str) -> None:
    operation = operations(spec)[(method, normalise(path))]
    responses = operation["responses"]
    errors = {code: r for code, r in responses.items() if code == "default" or code[0] in "45"}
    assert errors, f"{method.upper()} {path} documents no error response"
    for code, reference in errors.items():
        response = resolve(spec, reference)
        content = response.get("content", {})
        assert "application/problem+json" in content, (code, content)
        schema = content["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, (code, schema)


def test_problem_schema_has_the_rfc_9457_members(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors", "request_id"} <= set(properties)


def test_success_responses_describe_the_contract_objects(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    review = set(schemas["Review"]["properties"])
    assert review >= {
        "id",
        "product",
        "rating",
        "title",
        "body",
        "author_name",
        "verified_buyer",
        "helpful_count",
        "unhelpful_count",
        "comment_count",
        "created_at",
        "reply",
    }
    assert not review & {"author_email", "status", "spam_reasons"}  # public form
    admin = set(schemas["AdminReview"]["properties"])
    assert admin >= review | {"status", "author_email", "updated_at", "spam_reasons"}
    assert set(schemas["Summary"]["properties"]) == {"count", "average", "histogram"}
    reply = schemas["Review"]["properties"]["reply"]
    assert sorted(reply["type"]) == ["null", "object"]


def test_public_list_documents_its_query_options(spec: dict[str, Any]) -> None:
    path = spec["paths"]["/api/v1/sites/{site}/products/{product}/reviews"]
    params = {p["name"]: p for p in path["get"]["parameters"]}
    assert set(params) >= {"sort", "rating", "limit", "cursor"}
    assert set(params["sort"]["schema"]["enum"]) == {
        "newest",
        "oldest",
        "highest",
        "lowest",
        "helpful",
    }
    assert params["limit"]["schema"]["maximum"] == 50
    admin = spec["paths"]["/api/v1/admin/reviews"]["get"]["parameters"]
    admin_params = {p["name"]: p for p in admin}
    assert set(admin_params) >= {"status", "product", "rating", "q", "updated_since", "sort"}
    assert admin_params["limit"]["schema"]["maximum"] == 100


def test_live_responses_match_their_documented_schemas(
    spec: dict[str, Any], api: Any, client: Any
) -> None:
    """What the server sends validates against what the document says it sends."""
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource(contents=spec, specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:plaudit:openapi", resource)

    def check(schema_name: str, body: Any) -> None:
        schema = {"$ref": f"urn:plaudit:openapi#/components/schemas/{schema_name}"}
        OAS31Validator(schema, registry=registry).validate(body)

    created = api.post_review(title=None)
    assert created.status_code == 201
    check("ReviewCreated", created.get_json())
    review_id = created.get_json()["review"]["id"]
    replied = api.admin("PATCH", f"/reviews/{review_id}", json={"reply": "Thanks!"})
    assert replied.status_code == 200
    check("AdminReview", replied.get_json())
    check("PublicReviewList", client.get(api.public("/products/sku-1/reviews")).get_json())
    problem = client.get(api.public("/products/sku-1/reviews?limit=0"))
    assert problem.status_code == 422
    assert problem.mimetype == "application/problem+json"
    check("Problem", problem.get_json())
