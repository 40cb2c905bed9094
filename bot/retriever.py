"""The bot's retrieval as a LangChain retriever, for chains built on it. Kept apart from
bot.retrieve so that answering never imports LangChain's runnables (about 0.5 s at start)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class SentenceRetriever(BaseRetriever):
    """The bot's ranked sentences as a LangChain retriever: `invoke(question)` returns
    Documents whose metadata carries the chunk, its score and its place in the source."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bot: Any
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(page_content=h.text, id=h.id, metadata=h.to_dict())
            for h in self.bot.retrieve(query, k=self.k)
        ]
