"""Two `python -m bot serve` processes answering from one `chroma run` server and its index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import served

QUESTIONS = ["江津2019年的GDP是多少？", "江津的森林覆盖率提高到了多少？", "江津的房价是多少？"]


@pytest.fixture(scope="module")
def replicas(chroma_index, tmp_path_factory):
    """Two app processes, each with its own empty data folder, both on the Chroma server."""
    started = []
    try:
        for n in range(2):
            data = tmp_path_factory.mktemp(f"replica{n}")
            process, url = served.serve(
                data / "serve.log",
                chroma_url=chroma_index.url,
                data_dir=str(data),
                rate_limit_per_minute=0,
                max_inflight_per_client=0,
            )
            started.append((process, url, data))
        for process, url, _ in started:
            process.wait_http(url + "/healthz")
        yield [(url, data) for _, url, data in started]
    finally:
        for process, _, _ in started:
            process.stop()


def test_both_replicas_serve_the_index_on_the_chroma_server(replicas):
    health = [httpx.get(url + "/healthz").json() for url, _ in replicas]
    assert all(h["ready"] and h["store"] == "http" and h["chunks"] > 0 for h in health)
    assert health[0]["built_at"] == health[1]["built_at"], "one index, not one per replica"
    for _, data in replicas:
        assert not list(data.rglob("chroma.sqlite3")), "a replica must not keep its own store"


def test_the_build_leaves_its_lexical_snapshot_to_ship_to_the_replicas(chroma_index, replicas):
    [built] = (chroma_index.root / "builder" / "index" / "remote").glob("*/snapshot/tables.json")
    build = built.parent.parent.name
    health = httpx.get(replicas[0][0] + "/healthz").json()
    assert health["build"] == build  # the folder a replica loads from the same path


def test_replicas_give_the_same_cited_answers_under_concurrent_load(replicas):
    urls = [url for url, _ in replicas]

    def ask(job: tuple[str, str]) -> dict:
        url, question = job
        response = httpx.post(url + "/api/ask", json={"question": question}, timeout=120)
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("timings_ms")
        return body

    jobs = [(url, q) for q in QUESTIONS for url in urls] * 2
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(ask, jobs))
    by_question: dict[str, list[dict]] = {}
    for (_, question), body in zip(jobs, answers, strict=True):
        by_question.setdefault(question, []).append(body)
    for question, bodies in by_question.items():
        assert all(b == bodies[0] for b in bodies), question
    assert "1036.7" in str(by_question[QUESTIONS[0]][0])
    assert by_question[QUESTIONS[0]][0]["citations"]
    assert by_question[QUESTIONS[2]][0]["refused"], "the article says nothing about house prices"
