"""Reading the TypeScript literals preflight needs: the manifest arrays and the handler tables."""

from __future__ import annotations

import pytest

from workerflow_kit.preflight.typescript import TypeScriptLiteralError, array_literal, object_keys

ROUTES_TS = """import type { RouteDefinition } from "./types";

// Built-in routes; "]" and "};" inside strings must not end the literal.
export const ROUTES: RouteDefinition[] = [
  {
    routePath: "webhook_echo",
    requestType: "async",
    flowPath: "f/examples/echo]};",
    wrapBody: false, // trailing commas, as people write them
  },
];

const routeMap = new Map(ROUTES.map((route) => [route.routePath, route]));
"""

HANDLERS_TS = """export type HttpRouteHandler = (payload: unknown) => unknown;

export const HTTP_ROUTE_HANDLERS: Record<string, HttpRouteHandler> = {
  webhook_echo: webhookEcho,
  "chat-notify": chatNotify,
  lead_normalizer: leadNormalizer
};
"""


def test_array_literal_reads_upstream_style_objects() -> None:
    assert array_literal(ROUTES_TS, "ROUTES") == [
        {"routePath": "webhook_echo", "requestType": "async", "flowPath": "f/examples/echo]};", "wrapBody": False}
    ]


def test_object_keys_in_source_order() -> None:
    assert object_keys(HANDLERS_TS, "HTTP_ROUTE_HANDLERS") == ["webhook_echo", "chat-notify", "lead_normalizer"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("export const OTHER = [];", "cannot find `ROUTES = ["),
        ("export const ROUTES = [...BASE, extra()];", "not a plain array literal"),
        ("export const ROUTES = [ { a: 1 },", "never closed"),
    ],
)
def test_unreadable_literals_say_why(text: str, message: str) -> None:
    with pytest.raises(TypeScriptLiteralError, match=message.replace("[", r"\[").replace("(", r"\(")):
        array_literal(text, "ROUTES")
