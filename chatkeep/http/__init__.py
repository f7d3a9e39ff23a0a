"""The HTTP adapter: Starlette routes, pydantic schemas, error mapping."""
