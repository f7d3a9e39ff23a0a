"""Chats: `POST` and `GET /v1/chats`, `GET`, `PATCH` and `DELETE /v1/chats/{chat_id}`,
`POST /v1/chats/prune`."""
