"""Site administration: the audit log, reports, and the admin API (DESIGN §10)."""
