"""``bootstrap apply``: create the D1 database and the queue on Cloudflare, idempotently.

Each resource is looked up by name first; an existing one is reported, not duplicated. A create that races
another one (Cloudflare answers "already exists": D1 error 7502, Queues error 11009, or the words in the
message) is looked up again and reported as found.

Placeholders: the values used here (the account id, when it comes from the file, and the two names) must be
real. ``d1.database_id`` may still be a placeholder, unlike upstream's apply: creating the database is how
you get its id, and the report ends by saying where to put it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from workerflow_kit.bootstrap.cloudflare import API_BASE, CloudflareApiError, CloudflareClient
from workerflow_kit.bootstrap.spec import PLACEHOLDER_PREFIX, ResourceSpec
from workerflow_kit.errors import KitError

__all__ = [
    "ACCOUNT_ENV",
    "D1_EXISTS_CODE",
    "QUEUE_EXISTS_CODE",
    "TOKEN_ENV",
    "PlannedCall",
    "RemoteAction",
    "apply_remote",
    "follow_up",
    "planned_calls",
    "resolve_account",
]

ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
D1_EXISTS_CODE = 7502
QUEUE_EXISTS_CODE = 11009


@dataclass(frozen=True)
class RemoteAction:
    resource: Literal["d1 database", "queue"]
    name: str
    outcome: Literal["created", "found"]
    id: str | None

    def render(self) -> str:
        return f"{self.resource} {self.name}: {self.outcome}" + (f" (id {self.id})" if self.id else "")


@dataclass(frozen=True)
class PlannedCall:
    method: str
    path: str
    body: dict[str, str] | None
    why: str

    def render(self) -> str:
        body = "" if self.body is None else " " + ", ".join(f'{k}="{v}"' for k, v in self.body.items())
        return f"{self.method} {API_BASE}{self.path}{body}  # {self.why}"


def resolve_account(spec: ResourceSpec, env: Mapping[str, str]) -> str:
    """``CLOUDFLARE_ACCOUNT_ID``, else the file's ``account_id``; refuses placeholders and a disagreement."""
    from_env = env.get(ACCOUNT_ENV, "").strip()
    in_file = spec.account_id
    if from_env:
        if not in_file.startswith(PLACEHOLDER_PREFIX) and in_file != from_env:
            raise KitError(
                f'{ACCOUNT_ENV} ("{from_env}") differs from the file\'s account id ("{in_file}"); make them agree',
                path=spec.shown,
                pointer="/account_id",
            )
        return from_env
    spec.require_real("/account_id", hint=f"set {ACCOUNT_ENV} or replace it with your account id")
    return in_file


def planned_calls(spec: ResourceSpec, account_id: str) -> list[PlannedCall]:
    base = f"/accounts/{account_id}"
    return [
        PlannedCall("GET", f"{base}/d1/database?name={spec.d1_name}", None, "is the D1 database there?"),
        PlannedCall("POST", f"{base}/d1/database", {"name": spec.d1_name}, "only if it is not"),
        PlannedCall("GET", f"{base}/queues", None, "is the queue there?"),
        PlannedCall("POST", f"{base}/queues", {"queue_name": spec.queue_name}, "only if it is not"),
    ]


def _find(items: list[dict[str, object]], key: str, name: str, id_key: str) -> str | Literal[False] | None:
    """The id of the item named ``name`` (``None`` if it has none), or ``False`` when there is no such item."""
    for item in items:
        if item.get(key) == name:
            value = item.get(id_key)
            return str(value) if value is not None else None
    return False


def _ensure_d1(client: CloudflareClient, account: str, name: str) -> RemoteAction:
    found = _find(client.list_d1(account, name), "name", name, "uuid")
    if found is not False:
        return RemoteAction("d1 database", name, "found", found)
    try:
        created = client.create_d1(account, name)
    except CloudflareApiError as exc:
        if not (exc.has_code(D1_EXISTS_CODE) or exc.mentions("already exist")):
            raise
        again = _find(client.list_d1(account, name), "name", name, "uuid")
        return RemoteAction("d1 database", name, "found", again or None)
    uuid = created.get("uuid")
    return RemoteAction("d1 database", name, "created", str(uuid) if uuid is not None else None)


def _ensure_queue(client: CloudflareClient, account: str, name: str) -> RemoteAction:
    found = _find(client.list_queues(account), "queue_name", name, "queue_id")
    if found is not False:
        return RemoteAction("queue", name, "found", found)
    try:
        created = client.create_queue(account, name)
    except CloudflareApiError as exc:
        if not (exc.has_code(QUEUE_EXISTS_CODE) or exc.mentions("already exist") or exc.mentions("already taken")):
            raise
        again = _find(client.list_queues(account), "queue_name", name, "queue_id")
        return RemoteAction("queue", name, "found", again or None)
    queue_id = created.get("queue_id")
    return RemoteAction("queue", name, "created", str(queue_id) if queue_id is not None else None)


def apply_remote(spec: ResourceSpec, client: CloudflareClient, account_id: str) -> list[RemoteAction]:
    """Make sure the D1 database and the queue exist; returns what was created or found."""
    spec.require_real("/d1/name", "/queue/name")
    return [_ensure_d1(client, account_id, spec.d1_name), _ensure_queue(client, account_id, spec.queue_name)]


def follow_up(spec: ResourceSpec, actions: list[RemoteAction]) -> list[str]:
    """What the operator still has to do with the ids just learned."""
    notes = []
    for action in actions:
        if action.resource == "d1 database" and action.id and spec.d1_database_id != action.id:
            now = "a placeholder" if spec.d1_database_id.startswith(PLACEHOLDER_PREFIX) else f'"{spec.d1_database_id}"'
            notes.append(
                f"set /d1/database_id in {spec.shown} (now {now}) and database_id in each wrangler.jsonc to {action.id}"
            )
    return notes
