"""The worker process: runs timers, scheduled retries and outbox emails under leases,
and sleeps until the next one is due or a writer announces an earlier one."""

from .loop import Worker

__all__ = ["Worker"]
