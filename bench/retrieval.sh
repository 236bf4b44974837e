#!/usr/bin/env bash
# One command: ./bench/retrieval.sh
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:55547, applies the migrations, loads the 300-passage FAQ corpus
# (bench/retrieval/corpus.json) into one tenant through the knowledge base, embeds it with the background worker's
# code, and asks the 200 questions (bench/retrieval/questions.json) three ways: full-text, embeddings alone, hybrid.
# Prints recall@3 and MRR@10 per kind of question. Embeddings come from the deterministic fake embedder unless
# Llm__ApiKey and Llm__EmbeddingModel are set (then the real endpoint, Llm__Endpoint, default OpenAI's).
# Regenerate the data with: python3 bench/retrieval/make_corpus.py
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/private-pg.sh" retrieval "${BENCH_RETRIEVAL_PG_PORT:-55547}" retrieval/Retrieval.csproj OperatorConsole.Bench.Retrieval "$@"
