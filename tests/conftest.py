"""Shared fixtures: every test runs offline with its data directory in tmp_path, and one real
index of the real article (built once with the bundled model) serves the tests that only read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "docs" / "jiangjin.txt"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test touches the network, the user's data directory or a configured LLM."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("JJQA_DATA_DIR", str(tmp_path / "data"))
    for name in list(os.environ):
        if name.startswith("JJQA_") and name != "JJQA_DATA_DIR":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory) -> Path:
    """A data directory holding a real index of docs/, built once per test session."""
    from bot.settings import Settings
    from index.build import build_index

    data_dir = tmp_path_factory.mktemp("shared-index")
    build_index(Settings(data_dir=data_dir), progress=False)
    return data_dir


@pytest.fixture(scope="session")
def shared_bot(shared_data_dir):
    """A warm Bot over the shared index (read-only use)."""
    from bot.chain import Bot
    from bot.settings import Settings

    return Bot(Settings(data_dir=shared_data_dir)).warm()


@pytest.fixture
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")
