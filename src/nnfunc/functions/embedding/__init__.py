"""Embedding lookups (catalog family 12): one table or shards, dense or sparse ids."""

from nnfunc.functions.embedding._lookup import embedding_lookup
from nnfunc.functions.embedding._sparse import embedding_lookup_sparse

__all__ = ["embedding_lookup", "embedding_lookup_sparse"]
