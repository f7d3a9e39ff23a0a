"""`--chat-ttl`: a background task that prunes idle chats of every workspace."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from chatkeep.usecase.chats.prune import prune_idle_chats
from chatkeep.usecase.ports import Ports

logger = logging.getLogger("chatkeep.bootstrap.background")
MAX_INTERVAL = timedelta(seconds=60)


async def prune_forever(ports: Ports, ttl: timedelta) -> None:
    """Every min(ttl, 60 s), delete the chats idle for longer than `ttl`, skipping those
    with an active sandbox; each deletion is logged."""
    interval = min(ttl, MAX_INTERVAL).total_seconds()
    while True:
        try:
            results = await prune_idle_chats(ports, ttl)
        except Exception:
            logger.exception("pruning idle chats failed; trying again in %.0f s", interval)
        else:
            for workspace_id, pruned in results.items():
                for chat_id in pruned.deleted:
                    logger.info("pruned chat %s of workspace %s", chat_id, workspace_id)
                for chat_id in pruned.skipped:
                    logger.info("kept idle chat %s: a sandbox is active on it", chat_id)
        await asyncio.sleep(interval)
