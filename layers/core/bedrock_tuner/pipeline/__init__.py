"""Pipeline domain: cost estimates (and, later, specs, job requests, approvals, job slots)."""
