"""One listening socket per worker process (SO_REUSEPORT), so the kernel spreads connections
evenly over the workers.

With the single socket uvicorn's supervisor shares, the first worker to wake accepts every
pending connection at once: four kept-alive clients all landed on one worker and the other
stayed idle. Here the supervisor's socket only holds the port (bound, never listening); each
worker binds its own socket to the same port and puts it in place of the inherited one before
uvicorn starts listening. A worker's socket dies with the worker, so no connection waits on a
socket nobody accepts from. Where this cannot be done, the shared socket is used as before.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and os.path.isdir("/proc/self/fd")


def port_holder(host: str, port: int) -> socket.socket:
    """The supervisor's socket: bound with SO_REUSEPORT, inheritable, not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def take_own_socket(host: str, port: int) -> bool:
    """In a worker: replace the inherited, not yet listening socket bound to (host, port) by a
    socket of this worker's own. True when done; False leaves the shared socket in use."""
    inherited = _inherited_fd(port)
    if inherited is None:
        log.info("no inherited socket on port %d; the workers share one", port)
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    own = socket.socket(family, socket.SOCK_STREAM)
    try:
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own.bind((host, port))
        os.dup2(own.fileno(), inherited)
    except OSError as e:
        log.info("cannot bind a socket of this worker's own (%s); the workers share one", e)
        return False
    finally:
        own.close()
    return True


def _inherited_fd(port: int) -> int | None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            copy = os.dup(fd)
        except OSError:
            continue  # already closed (the listing's own descriptor)
        try:
            probe = socket.socket(fileno=copy)
        except OSError:
            os.close(copy)
            continue  # not a socket
        try:
            if probe.type != socket.SOCK_STREAM:
                continue
            bound = probe.getsockname()
            listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            if isinstance(bound, tuple) and bound[1] == port and not listening:
                return fd
        except OSError:
            continue
        finally:
            probe.close()
    return None
