"""Use cases: gather from the database, decide with the pure domain, apply, commit once."""
