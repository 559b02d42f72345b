"""A handler author's module: one Python handler for a config-mode route, registered like an entry point."""

from __future__ import annotations

import json
from typing import Any

from workerflow_kit.runtime.handlers import HandlerContext, HandlerRegistry

BILLING_URL = "https://billing.example/api/invoices"


def register(registry: HandlerRegistry) -> None:
    """Register ``invoice_created``: it files the invoice with the billing API and reports the id it got."""

    @registry.http("invoice_created")
    async def invoice_created(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
        invoice = payload["body"] if isinstance(payload, dict) and "body" in payload else payload
        body = json.dumps({"invoice": invoice, "trace": trace_id}).encode("utf-8")
        response = await ctx.post(BILLING_URL, headers={"content-type": "application/json"}, content=body)
        return {"ok": response.status_code == 201, "billingId": response.json().get("id")}
