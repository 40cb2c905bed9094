"""`python -m bot serve`: uvicorn with the JJQA_API_* limits, in one process or in several
worker processes under uvicorn's supervisor (which restarts a worker that dies or hangs)."""

from __future__ import annotations

import errno
import functools
import logging
import os
import resource
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from bot.errors import ConfigError, JJQAError
from bot.settings import Settings
from bot.web import accesslog, listeners
from bot.web.app import create_app
from bot.web.asking import store_failure
from bot.web.protocol import ConnectionLimits, GuardedProtocol

log = logging.getLogger(__name__)

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def connection_limits(settings: Settings) -> ConnectionLimits:
    return ConnectionLimits(
        header_timeout_s=settings.api_header_timeout_s,
        max_header_bytes=settings.api_max_header_bytes,
        max_connections=settings.api_max_connections,
    )


def uvicorn_config(
    app, settings: Settings, host: str, port: int, log_level: str = "info", **extra
) -> uvicorn.Config:
    """uvicorn's configuration with our protocol and limits: no `server` header, X-Forwarded-For
    left to the app (which trusts only JJQA_TRUSTED_PROXIES), keep-alive from the settings."""
    limits = connection_limits(settings)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=functools.partial(GuardedProtocol, limits=limits),
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_keep_alive=settings.api_keepalive_s,
        timeout_graceful_shutdown=5,
        server_header=False,
        proxy_headers=False,
        log_level=log_level,
        **extra,
    )


def build_app(settings: Settings):
    """The app with a warm bot. An index store that cannot be reached yet is not fatal: the app
    answers 503 until it is back. Other errors are raised."""
    from bot import Bot

    accesslog.install()
    _check_writable(settings)
    bot = Bot(settings)
    app = create_app(bot, settings)
    log.info("loading the models and the index")
    try:
        bot.warm()
    except Exception as e:
        reason = store_failure(e)
        if reason is not None:
            log.warning(
                "starting without the index store; answering 503 until it is back: %s", reason
            )
        elif _unwritable(e):
            raise _data_dir_error(settings, e) from None
        else:
            raise
    return app


def worker_app(settings: Settings, host: str, port: int, own_socket: bool):
    """The factory each worker process calls. With `own_socket` the worker listens on a socket
    of its own (listeners.py). A fatal error is one log line and exit status 3 at once (not
    after waiting on library threads), which uvicorn's supervisor reads as "cannot start" and
    stops instead of restarting the worker forever."""
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    if own_socket:
        listeners.take_own_socket(host, port)
    try:
        return build_app(settings)
    except JJQAError as e:
        logging.getLogger("uvicorn.error").error("cannot start: %s", str(e).splitlines()[0])
    except Exception:  # a bug: the operator needs the traceback, but once, not per restart
        logging.getLogger("uvicorn.error").exception("cannot start")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(STARTUP_FAILURE)


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> None:
    """Serve until stopped. With one worker the models load here before the port opens; with
    several, the port opens first and each worker loads its own copy before it accepts."""
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    if workers < 1:
        raise ConfigError(f"JJQA_API_WORKERS={workers} must be at least 1")
    if workers > 1 and (settings.wechat_token or settings.wecom_token):
        raise ConfigError(
            "WeChat and WeCom keep each user's conversation, retries and nonces in the "
            "process: serve them with JJQA_API_WORKERS=1 (run more replicas behind a proxy "
            "that sends each user to the same one, as the README shows)"
        )
    create_app(_LazyBot(), settings)  # a bad channel or proxy setting fails now, not per worker
    _share_cores(workers)
    _raise_fd_limit(settings.api_max_connections * workers + 256)
    if workers == 1:
        config = uvicorn_config(build_app(settings), settings, host, port)
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise JJQAError(f"the server could not listen on {host}:{port}; see the log above")
        return
    own = listeners.reuse_port_supported()
    factory = functools.partial(worker_app, settings, host, port, own)
    config = uvicorn_config(factory, settings, host, port, factory=True, workers=workers)
    if own:
        sock = listeners.port_holder(host, port)
        logging.getLogger("uvicorn.error").info(
            "listening on http://%s:%d with %d workers, one socket each", host, port, workers
        )
    else:
        sock = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        raise JJQAError("a worker could not start; see the log above")


class _LazyBot:
    """Stands in for the bot while the parent process only checks the app can be built."""

    def __getattr__(self, name):
        raise AttributeError(name)


_UNWRITABLE = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EEXIST,
    errno.ENOTDIR,
    errno.EISDIR,
}


def _unwritable(error: BaseException) -> bool:
    """True for a data directory that cannot be written: permissions, a read-only file system
    or database, a full disk."""
    if isinstance(error, OSError) and error.errno in _UNWRITABLE:
        return True
    text = str(error).lower()
    return "readonly database" in text or "read-only file system" in text


def _check_writable(settings: Settings) -> None:
    """Fail at once, in one line, on a data directory that cannot be written, before the models
    load (they would fall back or warn about it first)."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        if _unwritable(e):
            why = e.strerror or str(e)
            raise ConfigError(
                f"cannot write to the data directory {settings.data_dir}: {why}"
            ) from None
        raise


def _data_dir_error(settings: Settings, error: BaseException) -> ConfigError:
    where = getattr(error, "filename", None) or settings.data_dir
    why = getattr(error, "strerror", None) or str(error).splitlines()[0]
    return ConfigError(f"cannot write to the data directory {where}: {why}")


def _share_cores(workers: int) -> None:
    """Give each worker its share of the cores for the embedding model's OpenMP threads, and let
    idle threads sleep instead of spin; a deployer's own OMP_* values are kept. Must run before
    the model's library loads. Measured on two busy cores: a question took 2.5 s with two
    spinning threads and 0.05 s with either setting."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (cores or 1) // workers)))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _raise_fd_limit(wanted: int) -> None:
    """Raise this process's open-file limit towards `wanted` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        log.warning(
            "open-file limit %d is below %d; lower JJQA_API_MAX_CONNECTIONS or raise ulimit -n",
            target,
            wanted,
        )
