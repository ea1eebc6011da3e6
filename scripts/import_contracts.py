"""A custom import-linter contract: domains meet only through each other's public module.

`parley.<domain>` (its `__init__`) and `parley.<domain>.api` are a domain's public surface;
everything else in it (models, service, views...) is private to it. Listed in pyproject's
`[tool.importlinter]` as the `public_modules` contract type.
"""

from __future__ import annotations

from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

PUBLIC_SUFFIXES = ("", ".api")


class PublicModulesContract(Contract):
    """Imports from one of `domains` into another must name the target's public module.

    Options: `domains` (the packages that are domains), `importers` (packages whose imports
    are checked: the domains plus any orchestration layer).
    """

    domains = fields.ListField(subfield=fields.StringField())
    importers = fields.ListField(subfield=fields.StringField())

    def _domain_of(self, module: str, packages: list[str]) -> str | None:
        for package in packages:
            if module == package or module.startswith(package + "."):
                return package
        return None

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        domains = [str(d) for d in self.domains]  # type: ignore[attr-defined]
        importers = [str(i) for i in self.importers]  # type: ignore[attr-defined]
        broken: list[dict[str, Any]] = []
        for importer in sorted(graph.modules):
            source = self._domain_of(importer, importers)
            if source is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = self._domain_of(imported, domains)
                if target is None or target == source:
                    continue
                if imported in {target + suffix for suffix in PUBLIC_SUFFIXES}:
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = sorted({d["line_number"] for d in details})
                broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} -> {item['imported']} ({lines}): "
                "import the domain's public module (its __init__ or api) instead",
                bold=False,
            )
            output.new_line()
