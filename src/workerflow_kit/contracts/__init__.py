"""Contracts layer: the data a runtime must honour and the pure rules over it (no I/O beyond reading files)."""
