"""The composition root, the one place that builds adapters: settings (`settings.py`) →
the metadata store (`metadata.py`) → the ports (`ports.py`) → the application with its
start-up steps and background tasks (`app.py`, `background.py`, `readiness.py`) → the
server (`server.py`). `chatkeep.cli` parses a command line and calls `server.run`; tests
call `app.create_app` or `http.app.build_app` on ports of their own."""
