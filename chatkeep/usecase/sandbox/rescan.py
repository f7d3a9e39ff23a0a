from __future__ import annotations

from uuid import UUID

from chatkeep.usecase.access import find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.files.pages import FilePage, PageRequest, page_of_files
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.store.reconcile import reconcile_chat


async def rescan_chat(
    ports: Ports, user_id: UUID, chat_id: UUID, request: PageRequest | None = None
) -> FilePage:
    """The rescan on demand; answers the page `request` asks for (the first by default)
    of the chat's attachments as `GET …/files` lists them afterwards. `request` was
    checked before (PageRequest.of), so a bad limit or cursor costs no rescan. Raises
    ChatNotFoundError (404), InvalidRequestError (400: a cursor of another chat)."""
    request = request or PageRequest.of()
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    request.after_in(chat.chat_id)  # a cursor of another chat is refused before the work
    await reconcile_chat(ports, workspace.workspace_id, chat)
    return await page_of_files(ports, chat.chat_id, request)
