"""The knowledge base: editors' Markdown articles, split into passages, searched hybrid."""
