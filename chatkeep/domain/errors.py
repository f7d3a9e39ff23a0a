"""One error hierarchy; every error carries a stable, snake_case code."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    code: str = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestError(DomainError):
    code = "invalid_request"


class WorkspaceNotFoundError(DomainError):
    code = "workspace_not_found"

    def __init__(self) -> None:
        super().__init__("the caller has no workspace")


class WorkspaceQuotaExceededError(DomainError):
    code = "workspace_quota_exceeded"

    def __init__(
        self, workspace_id: UUID, quota_bytes: int, needed_bytes: int, *, unit: str = "bytes"
    ) -> None:
        """`unit` is what the quota counts: "bytes", or "inodes" (entries on disk)."""
        super().__init__(
            f"the write needs {needed_bytes} more {_counted(needed_bytes, unit)} than the "
            f"workspace quota of {quota_bytes} {_counted(quota_bytes, unit)} leaves"
        )
        self.workspace_id = workspace_id
        self.quota_bytes = quota_bytes
        self.needed_bytes = needed_bytes
        self.unit = unit


class InsufficientStorageError(DomainError):
    code = "insufficient_storage"

    def __init__(self) -> None:
        super().__init__("the disk is full; nothing was written")


class ChatNotFoundError(DomainError):
    code = "chat_not_found"

    def __init__(self, chat_id: str) -> None:
        super().__init__(f"chat {chat_id} does not exist")
        self.chat_id = chat_id


class ChatHasActiveSandboxError(DomainError):
    code = "chat_has_active_sandbox"

    def __init__(self, chat_id: UUID) -> None:
        super().__init__(f"chat {chat_id} has an active sandbox session")
        self.chat_id = chat_id


class ChatFileNotFoundError(DomainError):
    code = "chat_file_not_found"

    def __init__(self, file_id: str) -> None:
        super().__init__(f"file {file_id} does not exist")
        self.file_id = file_id


class SandboxSessionNotFoundError(DomainError):
    code = "sandbox_session_not_found"

    def __init__(self, chat_id: UUID) -> None:
        super().__init__(f"chat {chat_id} has no sandbox session")
        self.chat_id = chat_id


class InvalidAttachmentNameError(DomainError):
    code = "invalid_attachment_name"


class InvalidHistoryError(DomainError):
    code = "invalid_history"


class PreconditionFailedError(DomainError):
    code = "precondition_failed"

    def __init__(self, current_etag: str | None) -> None:
        super().__init__(
            "a precondition (If-Match, If-None-Match or If-Unmodified-Since) does not hold "
            "for the current version; nothing was changed"
        )
        # The ETag the condition was decided against; None when nothing, or nothing with
        # an ETag, was there.
        self.current_etag = current_etag


class NameConflictError(DomainError):
    code = "name_conflict"


class ChecksumMismatchError(DomainError):
    code = "checksum_mismatch"


class ContentChangedError(Exception):
    """The file being served changed under its reader (a sandbox rewrote it in place): the
    response, already started, can only be aborted, never completed with bytes of two
    versions (contract 1.1, "Hostile trees and resource limits"). No status of its own."""


def _counted(count: int, unit: str) -> str:
    """`unit` ("bytes", "inodes") for `count` of them: singular for one."""
    return unit.removesuffix("s") if count == 1 else unit
