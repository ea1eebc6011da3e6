"""The server answers as its OpenAPI document says: schemathesis generates requests for every
operation from `/openapi.json` of a real `parley serve` and checks each answer's status code,
content type and body against the document, and that none is a 5xx.

A member's Bearer token goes with every request, so the member operations are exercised past
authentication. The examples per operation are bounded (`MAX_EXAMPLES`) to keep the test under
about 90 s on a loaded two-core machine; a failure prints the request as a curl command.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.server import ServerProcess, start_server

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SERVER_ENV = {
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
    "PARLEY_LOGIN_FAILURES_PER_ACCOUNT": "100000",
    "PARLEY_SEND_RATE": "1000",
    "PARLEY_SEND_BURST": "1000",
}
PASSWORD = "conformance passphrase"
_ids = itertools.count(1)


class Member:
    """The member whose token every generated request carries."""

    def __init__(self, server: ServerProcess) -> None:
        self.base_url = server.base_url
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            login_id = f"conform{next(_ids)}"
            signup = {"login_id": login_id, "nickname": "Conformance", "password": PASSWORD}
            http.post("/api/v1/auth/signup", json=signup).raise_for_status()
            login = http.post(
                "/api/v1/auth/login", json={"login_id": login_id, "password": PASSWORD}
            )
            login.raise_for_status()
            self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            # something for the id-taking operations to find: a room of the member
            room = http.post(
                "/api/v1/rooms", json={"name": f"conformance {login_id}"}, headers=self.headers
            )
            room.raise_for_status()


@pytest.fixture(scope="module")
def member(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Member]:
    server = start_server(Path(tmp_path_factory.mktemp("conformance")), env=SERVER_ENV)
    try:
        yield Member(server)
    finally:
        server.stop()


def _run(operation: Any, member: Member, failures: list[str]) -> int:
    """Examples of valid and of invalid requests for one operation; failures are collected
    (with schemathesis' report and a curl command) so one run reports every operation.
    Returns how many requests were sent."""
    sent = 0
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
    )
    def check(case: Any) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(
            base_url=member.base_url, headers=member.headers, checks=CHECKS, timeout=30
        )

    try:
        check()
    except (Exception, FailureGroup) as exc:  # keep the report, go on with the others
        failures.append(f"{operation.label}: {exc}")
    return sent


def test_every_operation_answers_as_documented(member: Member) -> None:
    """Every operation of the document (the probes and /metrics aside), with a member's token.

    The pytest plugin of schemathesis (`from_fixture`) needs pytest's private `_nodeid`,
    which pytest 9 no longer has, so the operations are driven here with the same Python API
    (`from_url`, `as_strategy`, `call_and_validate`)."""
    document = schemathesis.openapi.from_url(f"{member.base_url}/openapi.json")
    schema = document.exclude(path_regex=r"^/(metrics|readyz|healthz)$")
    failures: list[str] = []
    operations = requests = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operations += 1
        requests += _run(result.ok(), member, failures)
    assert operations > 40
    assert requests >= operations * 3, (requests, operations)  # examples really went out
    assert not failures, "\n\n".join(failures)
