"""Keep numpy's BLAS to one thread in a process that answers questions.

The embedding engine (ONNX Runtime, or torch for a user-named model) already runs one thread
per core. OpenBLAS starts as many threads again for the bot's small matrix products, and their
spinning beside the engine's threads slowed both: on 256 CMRC 2018 passages (2 cores) the warm
p50 / p95 went from 23.5 / 40.5 ms with BLAS threads to 13.1 / 18.4 ms with one.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def one_thread() -> None:
    """Limit every BLAS library loaded in this process to one thread, from now on."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up: answers are the same without it
        log.debug("threadpoolctl is not installed; BLAS keeps its own thread count")
        return
    threadpool_limits(1, user_api="blas")
