"""The field types of request and response bodies: whole numbers within what the stores
hold, texts a store can keep, timestamps with their offset, and query models (contract 1.1,
"Limits of values"). The bounds are declared before the validators, so the OpenAPI
document states the very bounds that are checked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StrictStr

from chatkeep.domain.chat import MAX_TITLE_CHARS
from chatkeep.domain.limits import MAX_STORED_INTEGER, text_problem
from chatkeep.domain.sandbox import MAX_LEASE_SECONDS
from chatkeep.usecase.sandbox.session import MAX_SANDBOX_ID_CHARS

# Past 2**53 a JSON number with a fraction or an exponent reaches us as a float that has
# already lost digits: 123456789012345678.9 arrives as 123456789012345680.0.
_EXACT_FLOATS = 2**53


def _whole_number(value: object) -> int:
    """JSON Schema's integer: 5 and 5.0, not 5.5, "5" or true; past 2**53 only written
    as an integer (a float there may have been rounded on its way in)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    if isinstance(value, float) and abs(value) >= _EXACT_FLOATS:
        raise ValueError("must be written without a fraction or exponent past 2**53")
    return int(value)


# Every integer a client sends is bounded, at most by what the stores hold (contract,
# "Limits of values"). The bounds come before the validator so that the JSON schema shows
# them as `minimum` and `maximum`: the document states the very bounds that are checked.
QuotaBytes = Annotated[int, Field(ge=0, le=MAX_STORED_INTEGER), BeforeValidator(_whole_number)]
QuotaInodes = Annotated[int, Field(ge=0, le=MAX_STORED_INTEGER), BeforeValidator(_whole_number)]
LeaseSeconds = Annotated[int, Field(ge=1, le=MAX_LEASE_SECONDS), BeforeValidator(_whole_number)]


def _storable_text(value: object) -> object:
    """Refuses a text no store can hold; anything else goes on to the type's own checks."""
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise ValueError(problem)
    return value


# Texts that go into a metadata store. The bounds come before the validator so that a
# long text is told its length, and the pattern tells clients what the validator checks.
_NO_NUL = Field(json_schema_extra={"pattern": "^[^\\x00]*$"})
Title = Annotated[
    StrictStr, Field(max_length=MAX_TITLE_CHARS), BeforeValidator(_storable_text), _NO_NUL
]
SandboxId = Annotated[
    StrictStr,
    Field(min_length=1, max_length=MAX_SANDBOX_ID_CHARS),
    BeforeValidator(_storable_text),
    _NO_NUL,
]

# ISO 8601 with an explicit UTC offset (+00:00), not pydantic's "Z".
Timestamp = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


class QueryModel(BaseModel):
    """Query parameters (the last value of a repeated one; unknown ones ignored)."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def parameter_schemas(cls) -> dict[str, dict[str, object]]:
        """The JSON schema of each parameter, by name, from the model's own: the document
        states the bounds that validation checks."""
        properties = cls.model_json_schema()["properties"]
        return {name: _parameter_schema(schema) for name, schema in properties.items()}


def _parameter_schema(schema: dict[str, Any]) -> dict[str, object]:
    """A property's schema as a query parameter's: a parameter left out stands for null, so
    the null option goes, and with it a null default; titles go too."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return {k: v for k, v in schema.items() if k != "title" and (k, v) != ("default", None)}
