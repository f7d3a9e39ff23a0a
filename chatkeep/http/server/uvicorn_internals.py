"""Every part of uvicorn that is not its public API and that the server layer relies on,
with what relies on it. uvicorn is pinned below 0.55 (pyproject.toml) for their sake;
test/unit/http/test_uvicorn_internals.py checks each of them against the uvicorn installed
and fails naming the one that changed, so that an upgrade is a reviewed change, never a
silent one. Nothing here runs when serving: it is the list the test and a reviewer read."""

from __future__ import annotations

# Methods of uvicorn.protocols.http.httptools_impl.HttpToolsProtocol that protocol.py and
# json_errors.py override (calling uvicorn's through super()) or call.
PROTOCOL_METHODS: dict[str, str] = {
    "connection_made": "protocol.py arms the head deadline and counts connections",
    "connection_lost": "protocol.py disarms its timers",
    "on_message_begin": "protocol.py starts a head's deadline and byte count",
    "on_url": "protocol.py counts the head's bytes",
    "on_header": "protocol.py bounds the head's bytes and header count",
    "on_headers_complete": "protocol.py offers SENDFILE and ABORT, json_errors.py the JSON 500",
    "on_message_complete": "protocol.py disarms the body's idle timeout",
    "on_response_complete": "json_errors.py writes a refusal held for pipelined answers",
    "send_400_response": "json_errors.py and protocol.py answer the parser's refusals in JSON",
    "pause_writing": "protocol.py arms the send timeout",
    "resume_writing": "protocol.py disarms the send timeout",
    "_unset_keepalive_if_required": "json_errors.py's data_received, as uvicorn's calls it",
}

# Attributes of an HttpToolsProtocol (set in __init__, connection_made, on_message_begin or
# on_headers_complete) read or written by protocol.py and json_errors.py.
PROTOCOL_ATTRIBUTES: dict[str, str] = {
    "transport": "refusals are written to it; aborts reset it",
    "parser": "data_received feeds it; a refusal's exchange reads its method",
    "cycle": "the request being served: its state decides how a refusal is sent",
    "pipeline": "requests parsed behind the one being served",
    "headers": "the head being read: its X-Request-Id and its size",
    "url": "the target being read, for a refusal's access line",
    "scope": "the ASGI scope of the head just read, given the extensions",
    "flow": "whether reading is paused: the body's idle timeout waits for the app",
    "connections": "the server's open connections, for the connection cap",
    "loop": "timers",
    "logger": "the parser's refusals are logged as uvicorn logs them",
}

# Methods of RequestResponseCycle.
CYCLE_METHODS: dict[str, str] = {
    "send": "json_errors.py's JSON 500 goes out through it",
    "send_500_response": "replaced per cycle by json_errors.py with a JSON internal_error",
}

# Attributes of a RequestResponseCycle.
CYCLE_ATTRIBUTES: dict[str, str] = {
    "scope": "the request's context (request id) for refusals and the access log",
    "transport": "replaced by linger.py's LingerOnClose when a body is announced",
    "more_body": "whether the request body is still arriving",
    "response_started": "whether a refusal can still be the answer",
    "response_complete": "whether the connection is between requests",
    "disconnected": "set to make the app see a disconnect at once",
    "message_event": "set to wake an app waiting for body bytes",
    "keep_alive": "cleared to close after the answer (a declined upgrade)",
    "expected_content_length": "lowered by the bytes SENDFILE sent",
    "waiting_for_100_continue": "the body's idle timeout waits while the app has not read",
}

# uvicorn functions whose body json_errors.py reproduces with changes, or whose behaviour it
# depends on line by line: any change to their source is to be read before upgrading. Each
# maps to the SHA-256 of its `inspect.getsource` in uvicorn 0.54.0, and why it matters.
PINNED_SOURCES: dict[str, tuple[str, str]] = {
    "HttpToolsProtocol.data_received": (
        "010a7ae59a5d3b1a5e7326ce246878568629d126a076d8af5ba10cab040fae43",
        "json_errors.py's data_received is this one, keeping the parser's reason",
    ),
    "RequestResponseCycle.run_asgi": (
        "0f33f2449a444bc210e26187fae751e687466157b0050706212bd6ea2b6a5f35",
        "it calls send_500_response when the app fails or returns unanswered",
    ),
    "HttpToolsProtocol.on_response_complete": (
        "64e254f28e389e7614f2c828176d639174e66aa9d814a4b06624ec86ec0a5b95",
        "it starts the next pipelined request, before a held refusal is written",
    ),
}
