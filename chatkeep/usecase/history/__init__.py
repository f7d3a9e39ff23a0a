"""A chat's transcript: `GET`, `PUT`, `POST /v1/chats/{chat_id}/history`."""
