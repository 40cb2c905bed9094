"""The retrieval a plain LangChain pipeline would give, measured on the same question set.

Two baselines, both over the raw files in docs/ and with the bot's own embedding model:
- `dense`: RecursiveCharacterTextSplitter (Chinese separators, 300/50) into Chroma, top-k
  similarity search;
- `bm25+dense`: jieba BM25 (`lcut_for_search`) and that dense search in an EnsembleRetriever
  weighted 0.5/0.5.
They retrieve only; they do not answer or refuse, so only retrieval metrics exist for them.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from tqdm import tqdm

from bot.settings import PROJECT_ROOT
from eval.dataset import QASet
from eval.metrics import RETRIEVAL_K, evidence_rank
from eval.spans import Span, load_source

SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "，", ""]
CHUNK_SIZE = 300
CHUNK_OVERLAP = 50
DESCRIPTIONS = {
    "dense": "RecursiveCharacterTextSplitter 300/50 + Chroma top-k similarity",
    "bm25+dense": "jieba BM25 + the same dense search, EnsembleRetriever 0.5/0.5",
}


@dataclass
class BaselineResult:
    """Where one baseline ranked each answerable item's evidence, and how long its pieces are."""

    name: str
    description: str
    chunks: int
    ranks: dict[str, int | None] = field(default_factory=dict)
    retrieved_chars: float = 0.0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "chunks": self.chunks,
            "ranks": dict(self.ranks),
            "retrieved_chars": self.retrieved_chars,
        }

    @classmethod
    def from_dict(cls, data: dict) -> BaselineResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def load_documents(docs_dir: Path) -> list[Document]:
    """Every .txt and .md file in docs_dir as it is on disk, one Document each."""
    documents = []
    for path in sorted(Path(docs_dir).rglob("*")):
        if path.suffix.lower() not in {".txt", ".md"} or not path.is_file():
            continue
        try:
            source = path.resolve().relative_to(PROJECT_ROOT).as_posix()
        except ValueError:
            source = str(path.resolve())
        text = path.read_text(encoding="utf-8")
        documents.append(Document(page_content=text, metadata={"source": source}))
    return documents


def split(documents: list[Document]) -> list[Document]:
    """The chunks a LangChain user gets from RecursiveCharacterTextSplitter with Chinese
    separators; each records its start offset in the file."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=CHUNK_SIZE,
        chunk_overlap=CHUNK_OVERLAP,
        add_start_index=True,
    )
    return splitter.split_documents(documents)


def build(chunks: list[Document], embedder: Embeddings, workdir: str) -> dict[str, BaseRetriever]:
    """The two baseline retrievers over `chunks`, with a Chroma collection in `workdir`."""
    import jieba
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever

    with warnings.catch_warnings():  # the package says it is being sunset; BM25Retriever works
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever

    jieba.setLogLevel(60)
    store = Chroma.from_documents(
        chunks,
        embedder,
        collection_name="baseline",
        persist_directory=workdir,
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    dense = store.as_retriever(search_kwargs={"k": RETRIEVAL_K})
    bm25 = BM25Retriever.from_documents(
        chunks, preprocess_func=jieba.lcut_for_search, k=RETRIEVAL_K
    )
    ensemble = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    return {"dense": dense, "bm25+dense": ensemble}


def piece_span(document: Document) -> Span:
    """Where a retrieved chunk lies in its file."""
    source = document.metadata.get("source", "")
    start = int(document.metadata.get("start_index", -1))
    text = load_source(source)
    if text is None or start < 0:
        return Span(source, 0, 0)
    return text.span(start, start + len(document.page_content))


def run(
    qa: QASet, embedder: Embeddings, docs_dir: Path, *, progress: bool = True
) -> list[BaselineResult]:
    """Both baselines over the answerable items of `qa` (questions only: no history)."""
    chunks = split(load_documents(docs_dir))
    results = []
    with tempfile.TemporaryDirectory(prefix="jjqa-baseline-", ignore_cleanup_errors=True) as tmp:
        for name, retriever in build(chunks, embedder, tmp).items():
            result = BaselineResult(name, DESCRIPTIONS[name], chunks=len(chunks))
            lengths = []
            items = [item for item in qa.items if item.answerable]
            for item in tqdm(items, desc=name, unit="q", file=sys.stderr, disable=not progress):
                found = retriever.invoke(item.question)[:RETRIEVAL_K]
                lengths.extend(len(d.page_content) for d in found[:5])
                pieces = [piece_span(d) for d in found]
                result.ranks[item.id] = evidence_rank(qa.evidence_spans(item), pieces)
            result.retrieved_chars = sum(lengths) / len(lengths) if lengths else 0.0
            results.append(result)
    return results
