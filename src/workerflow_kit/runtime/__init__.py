"""Reference runtime: WorkerFlow's five workers in Python over real SQLite, a Cloudflare-faithful queue and one clock."""
