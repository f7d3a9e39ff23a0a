"""How many sandbox sessions are active now, for monitoring (contract 1.1, "Operations")."""

from __future__ import annotations

from chatkeep.usecase.ports import Ports


async def count_active_sandbox_sessions(ports: Ports) -> int:
    """Sessions of every workspace that are active at the clock's now: without a lease, or
    with one not yet over. Sessions whose lease ran out but that no request has ended yet
    are not counted."""
    return await ports.sandboxes.count_active(ports.clock.now())
