"""How often one account or address may do something, counted in a moving window (`limits`).

The counts live in the storage the lifespan gives the limiter: Redis when `KOPDES_REDIS_URL` is
set, so that a limit holds across worker processes; otherwise each process's own memory.
"""

import time
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class RateLimit:
    limiter: MovingWindowRateLimiter
    item: RateLimitItem
    namespace: str

    async def hit(self, key: str) -> int | None:
        """Count one more for `key`: None while within the limit; past it, nothing is counted
        and the answer is how many seconds to wait (for `Retry-After`)."""
        if await self.limiter.hit(self.item, self.namespace, key):
            return None
        stats = await self.limiter.get_window_stats(self.item, self.namespace, key)
        return max(1, int(stats.reset_time - time.time()) + 1)
