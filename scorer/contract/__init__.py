"""The contract every stage shares: events, limits and the import allowlist, problems with codes,
result records and the JSON Schemas (package data). Imports nothing of the scorer outside itself."""
