"""Cloudflare REST API answers in the shapes the API documents (the v4 envelope), for respx mocks."""

from __future__ import annotations

from typing import Any

ACCOUNT = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
TOKEN = "cf-test-token-s3cr3t-value"
BASE = f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}"
D1_UUID = "2f4e6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a7b"
QUEUE_ID = "7c1e9a3b5d7f4b2c8e0a6d4f2b8c0e6a"


def envelope(result: Any, **info: int) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info:
        body["result_info"] = info
    return body


def failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}


def d1_database(name: str = "workerflow-runtime") -> dict[str, Any]:
    return {
        "uuid": D1_UUID,
        "name": name,
        "created_at": "2026-03-01T10:00:00.000Z",
        "version": "production",
        "num_tables": 0,
        "file_size": 12288,
    }


def queue(name: str = "workerflow-automation-queue") -> dict[str, Any]:
    return {
        "queue_id": QUEUE_ID,
        "queue_name": name,
        "created_on": "2026-03-01T10:00:00.000000Z",
        "modified_on": "2026-03-01T10:00:00.000000Z",
        "producers_total_count": 0,
        "producers": [],
        "consumers_total_count": 0,
        "consumers": [],
    }


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return envelope(items, page=1, per_page=100, count=len(items), total_count=len(items), total_pages=1)


AUTH_ERROR = failure(10000, "Authentication error")
RATE_LIMITED = failure(971, "Please wait and consider throttling your request speed")
D1_EXISTS = failure(7502, "A database with that name already exists")
QUEUE_EXISTS = failure(11009, "Queue name already taken")
