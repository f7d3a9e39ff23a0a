"""The HTTP server's own layer, below the application: uvicorn's httptools protocol with the
limits, refusals, zero-copy sends and lingering close chatkeep needs. It is the one place
that relies on uvicorn's internals; `uvicorn_internals.py` names each of them, and
test/unit/http/test_uvicorn_internals.py fails loudly when uvicorn changes one."""
