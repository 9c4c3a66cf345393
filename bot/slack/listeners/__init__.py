"""Bolt listeners by type; each module has ``register(app, deps)`` and keeps its handlers thin."""
