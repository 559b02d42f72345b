"""Reference runtime: the five WorkerFlow workers in Python over real SQLite, a faithful queue and one clock."""
