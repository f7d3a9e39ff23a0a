"""Messages in the history: `POST` and `GET /v1/chats/{chat_id}/messages`."""
