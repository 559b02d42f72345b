"""Read JSON, JSON-with-comments, YAML and TOML documents with errors that name the file, line and column."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import json5
import yaml

from workerflow_kit.errors import FileProblem

# Bigger than any contract or fixture a person writes; protects against pointing the kit at a disk image.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning every OS or decoding problem into one clear FileProblem."""
    try:
        if path.is_dir():
            raise FileProblem("is a directory, expected a file", path=path)
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise FileProblem(f"file is {size} bytes, larger than the {MAX_DOCUMENT_BYTES} byte limit", path=path)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileProblem("no such file", path=path) from None
    except PermissionError:
        raise FileProblem("permission denied", path=path) from None
    except OSError as exc:
        raise FileProblem(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if b"\x00" in raw:
        raise FileProblem("binary content (NUL bytes); expected a UTF-8 text document", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    return text


def parse_json(text: str, path: Path | str) -> Any:
    if not text.strip():
        raise FileProblem("empty document, expected JSON", path=path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=path) from None
    except RecursionError:
        raise FileProblem("JSON nested too deeply", path=path) from None


def parse_jsonc(text: str, path: Path | str) -> Any:
    """JSON with comments and trailing commas, as in ``wrangler.jsonc``."""
    if not text.strip():
        raise FileProblem("empty document, expected JSON with comments", path=path)
    try:
        return json5.loads(text)
    except ValueError as exc:
        raise FileProblem(f"invalid JSON with comments: {exc}", path=path) from None
    except RecursionError:
        raise FileProblem("document nested too deeply", path=path) from None


def parse_yaml(text: str, path: Path | str) -> Any:
    if not text.strip():
        raise FileProblem("empty document, expected YAML", path=path)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise FileProblem(f"invalid YAML{where}: {exc.problem}", path=path) from None
    except yaml.YAMLError as exc:
        raise FileProblem(f"invalid YAML: {exc}", path=path) from None
    except RecursionError:
        raise FileProblem("document nested too deeply", path=path) from None


def parse_toml(text: str, path: Path | str) -> dict[str, Any]:
    """TOML, as in ``workerflow-kit.toml`` and ``pyproject.toml`` (tomllib's message carries line and column)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileProblem(f"invalid TOML: {exc}", path=path) from None


def load_document(path: Path) -> Any:
    """Load a JSON, JSONC, YAML or TOML file chosen by extension (JSON for anything unknown)."""
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return parse_toml(text, path)
    if suffix in {".yaml", ".yml"}:
        return parse_yaml(text, path)
    if suffix == ".jsonc":
        return parse_jsonc(text, path)
    return parse_json(text, path)
