"""Emulations of the JavaScript behaviours WorkerFlow's observable answers depend on (spec Appendix A)."""
