"""Optional LLM mode: an OpenAI-compatible chat model writes the answer from the retrieved
passages; every sentence it writes is checked against the passage it cites, and unsupported
sentences are dropped. When nothing survives, the caller keeps the extractive answer."""

from __future__ import annotations

import re
from importlib import resources

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from bot.errors import ConfigError, LLMError
from bot.profile import Profile
from bot.text import bigrams, normalize_chars, numbers
from bot.values import Answer, Citation
from index.chunk import Chunk

MAX_PASSAGES = 6
MARKER = re.compile(r"\[(\d{1,2})\]")
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
# Share of a written sentence's character pairs that its cited passages must hold.
TERM_SHARE = 0.6
REFUSAL = "文章中没有提到"


def make_chat_model(settings) -> BaseChatModel:
    """ChatOpenAI against JJQA_LLM_BASE_URL (DeepSeek, Qwen, Ollama, vLLM all speak it)."""
    if not settings.llm_enabled:
        raise ConfigError("set JJQA_LLM_BASE_URL, JJQA_LLM_MODEL and JJQA_LLM_API_KEY together")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        temperature=0,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def prompt(name: str) -> str:
    return resources.files("bot.prompts").joinpath(name).read_text(encoding="utf-8")


def build_messages(question: str, history, chunks: list[Chunk], profile: Profile) -> list:
    """System rules (naming the bot as the profile does), then the numbered passages, the
    conversation and the question."""
    passages = "\n".join(f"[{n}] {c.text}" for n, c in enumerate(chunks, 1))
    turns = "\n".join(f"问：{q}\n答：{a}" for q, a in (history or [])[-3:]) or "（无）"
    user = prompt("user.txt").format(passages=passages, history=turns, question=question)
    system = prompt("system.txt").format(name=profile.name, about=profile.description)
    return [SystemMessage(system), HumanMessage(user)]


def llm_answer(
    model: BaseChatModel, question: str, history, chunks: list[Chunk], profile: Profile
) -> Answer | None:
    """The model's answer with only the sentences its cited passages support, or None."""
    chunks = [c for c in chunks if c.kind not in ("title", "subtitle", "heading")][:MAX_PASSAGES]
    if not chunks:
        return None
    try:
        reply = model.invoke(build_messages(question, history, chunks, profile))
    except Exception as e:
        raise LLMError(f"the chat model failed: {e}") from e
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    return verified_answer(text, chunks)


def verified_answer(text: str, chunks: list[Chunk]) -> Answer | None:
    """Keep sentences whose every [n] exists and whose numbers and key terms the cited passages
    contain; renumber the citations in order of use."""
    kept: list[str] = []
    order: list[int] = []
    for sentence in SENTENCE.findall(text):
        cited = [int(n) for n in MARKER.findall(sentence)]
        body = MARKER.sub("", sentence).strip()
        if not body or REFUSAL in body or not cited:
            continue
        if any(not 1 <= n <= len(chunks) for n in cited):
            continue
        evidence = normalize_chars("".join(chunks[n - 1].text for n in cited))
        if not supported(body, evidence):
            continue
        for n in cited:
            if n not in order:
                order.append(n)
        kept.append(MARKER.sub(lambda m: f"[{order.index(int(m.group(1))) + 1}]", sentence.strip()))
    if not kept:
        return None
    citations = [_citation(chunks[n - 1], i) for i, n in enumerate(order, 1)]
    return Answer("".join(kept), refused=False, citations=citations)


def supported(sentence: str, evidence: str) -> bool:
    """Every number of the sentence, and most of its character pairs, are in the evidence."""
    if any(n not in evidence for n in numbers(sentence)):
        return False
    pairs = bigrams(normalize_chars(sentence))
    if not pairs:
        return True
    return sum(p in evidence for p in pairs) / len(pairs) >= TERM_SHARE


def _citation(chunk: Chunk, n: int) -> Citation:
    return Citation(n, chunk.source, chunk.section, chunk.text, chunk.start, chunk.end)
