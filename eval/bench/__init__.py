"""`cited bench`: cited's speed and memory beside a vanilla llama-index pipeline and the raw embedding floor.

One module per job: `ingest_bench` (indexing vs the sentence-transformers floor), `query_bench` (warm latency
vs the peer of `peer`), `cold_start` (a fresh `cited ask` vs `peer_cold`), `server_bench` (memory and
concurrency of `cited serve`), `diagnose` (where the time goes), `report` (table, JSON, Markdown, PNG), `cli`
(the command).
"""
