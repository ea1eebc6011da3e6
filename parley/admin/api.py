"""The admin domain's public surface: what flows, the CLI and the pages use of it."""

from __future__ import annotations

from parley.admin import audit, reports, service
from parley.admin.audit import record
from parley.admin.deps import SiteAdmin, get_site_admin

__all__ = ["SiteAdmin", "audit", "get_site_admin", "record", "reports", "service"]
