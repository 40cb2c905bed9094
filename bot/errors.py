"""Exceptions the program raises; the edges (CLI, HTTP, UI, WeChat) turn them into messages."""


class JJQAError(Exception):
    """Base class for every error this project raises on purpose."""


class ConfigError(JJQAError):
    """A setting has a value the program cannot use."""


class IndexBuildError(JJQAError):
    """The index is missing, broken or cannot be built."""


class EmbedderError(JJQAError):
    """The embedding model cannot be loaded or used."""


class LLMError(JJQAError):
    """The configured chat model failed or answered in an unusable way."""


class StoreUnavailable(JJQAError):
    """The index store (a Chroma server or the local build) cannot be read right now."""


class DocumentError(JJQAError):
    """A document cannot be taken: unknown type, too large, encrypted, no text, too slow."""


class UnknownDocument(DocumentError):
    """No document in the documents folder has the name given."""
