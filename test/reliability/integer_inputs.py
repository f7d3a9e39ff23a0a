"""The integers a client sends, read from the OpenAPI document, and requests that put a
chosen value in place of one of them, every other required input valid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from test.reliability.stores import RawAnswer, Service, raw_call


@dataclass(frozen=True)
class IntegerInput:
    method: str
    path: str
    location: str  # query, path, header or body
    name: str
    schema: dict[str, Any]
    # Valid values of the operation's other required inputs.
    query: dict[str, Any]
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.location} {self.name}"


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def integer_option(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any] | None:
    """The integer schema `schema` allows (directly or as an anyOf option), if any."""
    schema = resolve(schema, document)
    if schema.get("type") == "integer":
        return schema
    for option in schema.get("anyOf", []):
        found = integer_option(option, document)
        if found is not None:
            return found
    return None


def objects_of(schema: dict[str, Any], document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The object schemas a JSON body may take (through $ref and anyOf/oneOf)."""
    schema = resolve(schema, document)
    if "properties" in schema:
        yield schema
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from objects_of(option, document)


def nested_integers(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> int:
    """How many integers sit deeper than a body's top-level properties."""
    schema = resolve(schema, document)
    count = int(depth > 1 and schema.get("type") == "integer")
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        count += nested_integers(option, document, depth)
    for value in schema.get("properties", {}).values():
        count += nested_integers(value, document, depth + 1)
    if "items" in schema:
        count += nested_integers(schema["items"], document, depth + 2)
    return count


def integer_inputs(document: dict[str, Any]) -> list[IntegerInput]:
    """Every integer a client sends, as the document describes it: parameters (query, path,
    header) and the top-level properties of JSON request bodies."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            query = {
                p["name"]: example(resolve(p["schema"], document))
                for p in parameters
                if p["in"] == "query" and p.get("required")
            }
            for parameter in parameters:
                schema = integer_option(parameter["schema"], document)
                if schema is not None:
                    name = parameter["name"]
                    others = {k: v for k, v in query.items() if k != name}
                    found.append(IntegerInput(method, path, parameter["in"], name, schema, others))
            json_body = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in json_body:
                continue
            for body in objects_of(json_body["application/json"]["schema"], document):
                for name, property_schema in body["properties"].items():
                    schema = integer_option(property_schema, document)
                    if schema is not None:
                        fields = {
                            field: example(resolve(body["properties"][field], document))
                            for field in body.get("required", [])
                            if field != name
                        }
                        item = IntegerInput(method, path, "body", name, schema, query, fields)
                        found.append(item)
    return found


def example(schema: dict[str, Any]) -> Any:
    """A valid value of a simple schema, for the parameters beside the one under test."""
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date-time":
        return "2000-01-01T00:00:00Z"
    if schema.get("type") == "integer":
        return schema.get("minimum", 1)
    return "x" * max(1, schema.get("minLength", 1))


async def send_integer(service: Service, item: IntegerInput, value: object) -> RawAnswer:
    """The operation with `value` in place of the integer, every required input valid."""
    path = item.path.replace("{chat_id}", service.chat_id).replace("{file_id}", service.file_id)
    query = dict(item.query)
    headers = [(b"x-user-id", service.user["X-User-Id"].encode())]
    body = b""
    text = json.dumps(value) if isinstance(value, float) else str(value)
    if item.location == "query":
        query[item.name] = text
    elif item.location == "header":
        headers.append((item.name.lower().encode(), text.encode()))
    elif item.location == "path":
        path = path.replace("{" + item.name + "}", text)
    if item.body is not None:
        body = json.dumps({**item.body, item.name: value}).encode()
        headers.append((b"content-type", b"application/json"))
    target = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return await raw_call(service.app, item.method.upper(), target, headers, body)
