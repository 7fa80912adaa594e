#!/usr/bin/env python3
"""The audit baseline: load a JSON-lines dump of model listing objects into networkx and propagate
the most restrictive license class down the base-model edges, then count models whose declared
license is more permissive than what they inherit. The same dump as `sync_bench` writes.

Usage: python3 benches/audit_networkx.py DUMP.jsonl
"""
import json
import sys
import time

import networkx as nx

# Coarse restrictiveness classes, enough to compare work done (lineage's rules are finer).
RANK = {
    "apache-2.0": 0, "mit": 0, "cc-by-4.0": 0, "bsd-3-clause": 0,
    "openrail": 1, "bigscience-openrail-m": 1, "llama2": 1, "llama3": 1, "gemma": 1,
    "gpl-3.0": 1, "cc-by-sa-4.0": 1,
    "cc-by-nc-4.0": 3,
}
UNKNOWN = 2


def rank(card):
    lic = card.get("license")
    if isinstance(lic, list):
        lic = lic[0] if lic else None
    if lic is None:
        return UNKNOWN
    if lic == "other":
        return UNKNOWN
    return RANK.get(lic, UNKNOWN)


def main(path):
    t0 = time.perf_counter()
    g = nx.DiGraph()
    own = {}
    with open(path, "rb") as f:
        for line in f:
            item = json.loads(line)
            mid = item.get("id") or item.get("modelId")
            card = item.get("cardData") or {}
            own[mid] = rank(card)
            g.add_node(mid)
            bases = card.get("base_model") or []
            if isinstance(bases, str):
                bases = [bases]
            for b in bases:
                g.add_edge(b, mid)
            ds = card.get("datasets") or []
            if isinstance(ds, str):
                ds = [ds]
            for d in ds:
                g.add_edge("datasets/" + d, mid)
    t1 = time.perf_counter()
    eff = {}
    for n in nx.topological_sort(g):
        r = own.get(n, UNKNOWN)
        for p in g.predecessors(n):
            r = max(r, eff[p])
        eff[n] = r
    t2 = time.perf_counter()
    laundered = sum(1 for n, r in own.items() if eff[n] > r)
    t3 = time.perf_counter()
    print(
        f"networkx: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges; load {t1 - t0:.2f}s + "
        f"propagate {t2 - t1:.2f}s + count {t3 - t2:.2f}s = {t3 - t0:.2f}s; {laundered} models declare "
        f"less than they inherit"
    )


if __name__ == "__main__":
    main(sys.argv[1])
