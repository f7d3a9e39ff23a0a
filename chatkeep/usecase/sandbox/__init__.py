"""Sandbox sessions: `PUT`, `GET`, `DELETE /v1/chats/{chat_id}/sandbox`, `POST …/rescan`."""
