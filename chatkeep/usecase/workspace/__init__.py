"""The caller's workspace: `PUT`, `GET` and `DELETE /v1/workspace`."""
