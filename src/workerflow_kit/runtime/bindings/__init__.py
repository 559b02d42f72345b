"""Bindings the workers receive in their env: D1, the queue, the clock, service and Secrets-Store bindings."""
