"""The OpenAPI document lists each operation's error answers as problem+json, with one
`Problem` schema that real answers validate against (FastAPI's 422 model is gone)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
    ]


async def test_every_error_answer_is_a_problem(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    assert "HTTPValidationError" not in str(document)
    assert "ValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    operations = _operations(document)
    assert len(operations) > 40
    for method, path, operation in operations:
        responses = operation["responses"]
        errors = {status: r for status, r in responses.items() if status[0] in "45"}
        assert "503" in errors, (method, path)
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM], (method, path, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
            assert response["description"], (method, path, status)
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(errors), (method, path)
        if operation.get("parameters"):
            assert "422" in errors, (method, path)
        if operation.get("security"):
            assert {"401", "403"} <= set(errors), (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)


async def test_specific_answers_are_listed(client: httpx.AsyncClient) -> None:
    paths = (await _document(client))["paths"]
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "401", "413", "415", "422", "429"} <= set(login)
    assert "invalid_credentials" in login["401"]["description"]
    assert "malformed_json" in login["400"]["description"]
    signup = paths["/api/v1/auth/signup"]["post"]["responses"]
    assert "login_id_taken" in signup["409"]["description"]
    assert "429" in paths["/api/v1/rooms/{room_id}/messages"]["post"]["responses"]
    assert "409" in paths["/api/v1/me/friends"]["post"]["responses"]


async def test_real_answers_match_the_problem_schema(client: httpx.AsyncClient) -> None:
    problem = (await _document(client))["components"]["schemas"]["Problem"]
    answers = [
        await client.post(
            "/api/v1/auth/login", content=b"{", headers={"content-type": "application/json"}
        ),
        await client.post("/api/v1/auth/login", json={"login_id": 5}),
        await client.post(
            "/api/v1/auth/login", content=b"x", headers={"content-type": "text/plain"}
        ),
        await client.get("/api/v1/me"),
        await client.get("/api/v1/notices/999999"),
    ]
    assert [a.status_code for a in answers] == [400, 422, 415, 401, 404]
    for answer in answers:
        assert answer.headers["content-type"].startswith(PROBLEM)
        jsonschema.validate(answer.json(), problem)
