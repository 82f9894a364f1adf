"""Identity and access: bearer tokens, roles, the per-service policy, data scopes."""
