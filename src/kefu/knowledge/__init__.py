"""The knowledge base: loaders -> chunker -> embedder -> vector store + BM25 -> hybrid search -> answer.

Modules, in pipeline order: ``loaders`` (files -> Documents), ``chunker`` (token-sized, structure-aware
chunks), ``embeddings`` (Embedder protocol), ``stores`` (VectorStore protocol: Chroma, Chroma HTTP,
Milvus), ``bm25`` (jieba + bm25s), ``retriever`` (hits, RRF, rerankers), ``manifest`` (SQLite
bookkeeping), ``kb`` (KnowledgeBase: incremental ingest, search, FAQ), ``registry`` (named knowledge
bases), ``answer`` (grounded answers with citations, or abstention). User docs: docs/knowledge.md.
"""
