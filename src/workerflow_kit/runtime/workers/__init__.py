"""The five workers, one module each, mirroring Cloudflare's entry points (``fetch``, ``queue``, ``scheduled``)."""
