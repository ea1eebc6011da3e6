"""The direction of the domains (DESIGN §7) holds: import-linter's contracts in pyproject.

Run here so that CI, which runs the test suite, checks them too (`scripts/check` also runs
`lint-imports` on its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout, result.stdout


def test_a_domain_reaching_into_another_is_caught(tmp_path: Path) -> None:
    """The public-modules contract is not vacuous: a private import breaks it."""
    from grimp import build_graph

    from scripts.import_contracts import PublicModulesContract

    graph = build_graph("parley", cache_dir=None)
    graph.add_import(
        importer="parley.rooms.service",
        imported="parley.accounts.models",
        line_number=1,
        line_contents="from parley.accounts.models import Member",
    )
    contract = PublicModulesContract(
        name="t",
        session_options={"root_packages": ["parley"]},
        contract_options={
            "domains": ["parley.accounts", "parley.rooms"],
            "importers": ["parley.rooms"],
        },
    )
    check = contract.check(graph, verbose=False)
    assert not check.kept
    assert {
        "importer": "parley.rooms.service",
        "imported": "parley.accounts.models",
        "lines": [1],
    } in check.metadata["broken"]
