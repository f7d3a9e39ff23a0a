"""The OpenAPI 3.1 document, generated from the operations and their pydantic schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chatkeep import __version__
from chatkeep.http.errors import STATUS_BY_CODE
from chatkeep.http.openapi_health import HEALTH_MODELS, health_paths
from chatkeep.http.operation import Body, Operation
from chatkeep.http.schemas import ErrorBody

_REF = "#/components/schemas/{model}"
# Any /v1 request can answer these; invalid_request for X-User-Id or Authorization given twice.
_ALWAYS = (
    "unauthorized",
    "user_id_required",
    "invalid_user_id",
    "invalid_request",
    "internal_error",
)
_CALLER = {"header.X-User-Id": "$request.header.X-User-Id"}
# What the request header parameters mean, where their name does not say it all.
_HEADERS = {
    "If-Match": "RFC 9110 §13.1.1: '*' or a list of ETags; 412 unless one is current.",
    "If-None-Match": "RFC 9110 §13.1.2: '*' or a list of ETags; 304 (GET, HEAD) or 412 "
    "(writes) when one is current, or, for '*', when anything exists.",
    "If-Unmodified-Since": "RFC 9110 §13.1.4: an HTTP-date; 412 when modified since "
    "(whole seconds). Ignored with If-Match, or when not an HTTP-date.",
    "If-Modified-Since": "RFC 9110 §13.1.3: an HTTP-date; 304 unless modified since "
    "(whole seconds). Ignored with If-None-Match, or when not an HTTP-date.",
    "If-Range": "RFC 9110 §13.1.5: the Range is served only while this is the current ETag; "
    "a date never holds (the whole file is sent).",
    "Range": "RFC 9110 §14.2: one byte range, e.g. bytes=0-99 or bytes=-100.",
}
# OpenAPI links, for clients and for stateful testing: what each creating operation's answer
# feeds into, keyed by the path parameters the linked operations take.
_PRODUCERS: dict[tuple[str, str], tuple[frozenset[str], dict[str, str]]] = {
    ("PUT", "/v1/workspace"): (frozenset(), {}),
    ("POST", "/v1/chats"): (frozenset({"chat_id"}), {"path.chat_id": "$response.body#/chat_id"}),
    ("POST", "/v1/chats/{chat_id}/files"): (
        frozenset({"chat_id", "file_id"}),
        {
            "path.chat_id": "$request.path.chat_id",
            "path.file_id": "$response.body#/files/0/file_id",
        },
    ),
}


def openapi_document(operations: Sequence[Operation], *, metrics: bool = True) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations` and of /healthz, /readyz and, when
    `metrics`, /metrics; `info.version` is the package's version (contract 1.1)."""
    models: set[type[BaseModel]] = {ErrorBody, *HEALTH_MODELS}
    for operation in operations:
        for schema in (operation.request, *operation.responses.values()):
            if isinstance(schema, type):
                models.add(schema)
    keyed = [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)]
    refs, definitions = models_json_schema(keyed, ref_template=_REF)  # type: ignore[arg-type]
    ref_of = {model: refs[(model, "serialization")] for model in models}

    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        spec = _operation(operation, ref_of)
        if links := _links(operation, operations):
            for status in operation.responses:
                spec["responses"][str(status)]["links"] = links
        paths.setdefault(operation.path, {})[operation.method.lower()] = spec
    paths.update(health_paths(ref_of, metrics=metrics))
    return {
        "openapi": "3.1.0",
        "info": {"title": "chatkeep", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }


def _links(source: Operation, operations: Sequence[Operation]) -> dict[str, Any]:
    producer = _PRODUCERS.get((source.method, source.path))
    if producer is None:
        return {}
    takes, parameters = producer
    return {
        _operation_id(target): {
            "operationId": _operation_id(target),
            "parameters": {**_CALLER, **parameters},
        }
        for target in operations
        if frozenset(_path_parameters(target.path)) == takes and target is not source
    }


def _operation_id(operation: Operation) -> str:
    return f"{operation.method.lower()}_{_slug(operation.path)}"


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _operation(operation: Operation, ref_of: dict[type[BaseModel], Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        for name in _path_parameters(operation.path)
    ]
    parameters.append(
        {
            "name": "X-User-Id",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
    )
    parameters += [
        {
            "name": header,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            **({"description": _HEADERS[header]} if header in _HEADERS else {}),
        }
        for header in operation.request_headers
    ]
    typed = operation.query_schemas or {}
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": name in operation.required_query,
            "schema": dict(typed.get(name, {"type": "string"})),
        }
        for name in operation.query
    ]
    responses: dict[str, Any] = {}
    for status, schema in operation.responses.items():
        responses[str(status)] = {"description": _content_description(status, schema)}
        if schema is not None:
            responses[str(status)]["content"] = _content(schema, ref_of)
    for code in dict.fromkeys((*operation.errors, *_ALWAYS)):
        error_status = str(STATUS_BY_CODE[code])
        entry = responses.setdefault(
            error_status, {"description": "", "content": _content(ErrorBody, ref_of)}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], code]))
    spec: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": _operation_id(operation),
        "parameters": parameters,
        "responses": responses,
    }
    if operation.request is not None:
        spec["requestBody"] = {
            "required": operation.body_required,
            "content": _content(operation.request, ref_of),
        }
    return spec


def _content(
    schema: type[BaseModel] | Body | tuple[Body, ...], ref_of: dict[type[BaseModel], Any]
) -> dict[str, Any]:
    if isinstance(schema, tuple):
        return {media: spec for body in schema for media, spec in _content(body, ref_of).items()}
    if isinstance(schema, Body):
        described = {"type": "string", **(schema.schema or {}), "description": schema.description}
        return {schema.media_type: {"schema": described}}
    return {"application/json": {"schema": ref_of[schema]}}


def _content_description(status: int, schema: type[BaseModel] | Body | None) -> str:
    if isinstance(schema, Body):
        return schema.description
    return {
        200: "OK",
        201: "Created",
        204: "No Content",
        206: "Partial Content",
        304: "Not Modified",
    }.get(status, "")


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
