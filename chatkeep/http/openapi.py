"""The OpenAPI 3.1 document, generated from the operations and their pydantic schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chatkeep import __version__
from chatkeep.http.errors import STATUS_BY_CODE
from chatkeep.http.operation import Body, Operation
from chatkeep.http.schemas import ErrorBody

_REF = "#/components/schemas/{model}"
_ALWAYS = ("unauthorized", "user_id_required", "invalid_user_id", "internal_error")


def openapi_document(operations: Sequence[Operation]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for operation in operations:
        for schema in (operation.request, *operation.responses.values()):
            if isinstance(schema, type):
                models.add(schema)
    keyed = [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)]
    refs, definitions = models_json_schema(keyed, ref_template=_REF)  # type: ignore[arg-type]
    ref_of = {model: refs[(model, "serialization")] for model in models}

    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, ref_of
        )
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


def _operation(operation: Operation, ref_of: dict[type[BaseModel], Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        for name in re.findall(r"{(\w+)}", operation.path)
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
        {"name": header, "in": "header", "required": False, "schema": {"type": "string"}}
        for header in operation.request_headers
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in operation.query
    ]
    responses: dict[str, Any] = {}
    for status, schema in operation.responses.items():
        responses[str(status)] = {"description": _content_description(status, schema)}
        if schema is not None:
            responses[str(status)]["content"] = _content(schema, ref_of)
    for code in (*operation.errors, *_ALWAYS):
        error_status = str(STATUS_BY_CODE[code])
        entry = responses.setdefault(
            error_status, {"description": "", "content": _content(ErrorBody, ref_of)}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], code]))
    spec: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": f"{operation.method.lower()}_{_slug(operation.path)}",
        "parameters": parameters,
        "responses": responses,
    }
    if operation.request is not None:
        spec["requestBody"] = {
            "required": operation.body_required,
            "content": _content(operation.request, ref_of),
        }
    return spec


def _content(schema: type[BaseModel] | Body, ref_of: dict[type[BaseModel], Any]) -> dict[str, Any]:
    if isinstance(schema, Body):
        return {
            schema.media_type: {"schema": {"type": "string", "description": schema.description}}
        }
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
