"""Attachments: `/v1/chats/{chat_id}/files`, `…/files/{file_id}` and its `…/content`."""
