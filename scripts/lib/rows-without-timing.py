#!/usr/bin/python3
"""Prints the rows of sweep results files (results*.jsonl) without their measured times, one canonical JSON object
per line, sorted by cell id: two runs of the same sweep must print the same lines, however they were interrupted or
sharded. The timing fields are SweepRunner.TIMING_FIELDS."""
import json
import sys

TIMING = {"median_ms", "p90_ms", "tokens_per_s", "first_run", "steady", "elapsed_s", "finished_at"}


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


rows = []
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as f:
        rows.extend(strip(json.loads(line)) for line in f)
for row in sorted(rows, key=lambda r: r["cell"]):
    print(json.dumps(row, sort_keys=True))
