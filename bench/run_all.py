"""Run every benchmark and print one table (or, with --json, one JSON object).

    python bench/run_all.py [--quick] [--json]

Each benchmark runs as its own process (so peak memory is its own) with ``--json``; a benchmark that
crashes makes this exit non-zero. Figures that compare against a baseline do so in the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benches(quick: bool) -> dict[str, list[str]]:
    size = ["--sources", "10", "--posts", "10"] if quick else ["--sources", "200", "--posts", "50"]
    out = {"pipeline": ["pipeline.py", *size], "curation": ["curation.py", *(["--folds", "3"] if quick else [])]}
    for name, script in (("summaries", "summaries.py"), ("review_list", "review_list.py")):
        if (HERE / script).exists():
            out[name] = [script]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small corpus, fewer folds (a smoke run)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results, failed = {}, []
    for name, argv in benches(args.quick).items():
        proc = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:], "--json"],
                              capture_output=True, text=True, cwd=HERE.parent)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            failed.append(name)
            results[name] = {"error": (proc.stderr or proc.stdout)[-800:]}
            continue
        results[name] = json.loads(lines[-1])
        if proc.returncode != 0:
            failed.append(name)
    p = results.get("pipeline", {})
    summary = {k: p.get(k) for k in ("posts_per_s", "ratio_to_trafilatura", "incremental_ratio",
                                     "incremental_requests_ratio", "peak_rss_mb")}
    if args.json:
        print(json.dumps({**summary, "benchmarks": results, "failed": failed}, ensure_ascii=False))
    else:
        print(f"{'benchmark':14} {'figure':34} value")
        for name, figures in results.items():
            for key, value in figures.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)[:60]
                print(f"{name:14} {key:34} {value}")
        if failed:
            print("FAILED:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
