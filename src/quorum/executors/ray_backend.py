"""The Ray backend: each batch a Ray task (``ray.remote`` over the same batch function), at most
``window`` in flight, results collected in batch order. Ray tasks rather than Ray Data's ``map_batches``:
our batches are Python objects (a model target and texts), which Ray Data would first turn into Arrow
tables and back, and a job must see each batch's result as it lands to checkpoint it.

With no Ray running, ``ray.init`` starts a local one kept on loopback: Ray otherwise registers the
machine's external address and its services listen on every interface. ``RAY_ADDRESS`` (Ray's own
setting) joins an existing cluster instead."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from quorum.errors import Invalid, field_error

LOOPBACK = "127.0.0.1"
INSTALL = "pip install 'quorum[ray]'"


def start_local(num_cpus: int | None = None) -> None:
    """``ray.init`` on loopback (no dashboard, no usage report, no auth token) unless Ray is already up."""
    ray = _ray()
    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False)
        return
    ray.init(
        num_cpus=num_cpus,
        _node_ip_address=LOOPBACK,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )


def _ray() -> Any:
    # Read by Ray once, at import: off, Ray takes the loopback address as this node's instead of the
    # machine's external one (``ray.init`` turns a node IP of 127.0.0.1 into the external address), so
    # every server it starts binds to 127.0.0.1. The one switch Ray has for it (named for the platforms
    # where it is the default).
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError as exc:
        raise Invalid(
            f"QUORUM_EXECUTOR=ray needs Ray: {INSTALL}",
            [field_error("QUORUM_EXECUTOR", f"ray is not installed ({INSTALL})")],
        ) from exc
    return ray


class RayExecutor:
    name = "ray"

    def __init__(self, *, window: int = 8, num_cpus: int | None = None) -> None:
        self.window = max(1, window)
        self.num_cpus = num_cpus

    def map_batches(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        ray = _ray()
        start_local(self.num_cpus)
        remote = ray.remote(fn)
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(remote.remote(batch))
            if len(pending) >= self.window:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())


def shutdown() -> None:
    ray = _ray()
    if ray.is_initialized():
        ray.shutdown()
