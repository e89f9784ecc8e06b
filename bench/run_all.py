"""Run every benchmark and print one table (or, with --json, one JSON object).

    python bench/run_all.py [--quick] [--synthetic] [--json]

The pipeline runs on the real pages beside the repository (``../shared/bench/real-pages``) when they
are there, else (or with ``--synthetic``) on generated ones; its growth table covers 1,000 and 10,000
posts (``--quick``: 100). Extraction quality is measured on the same real pages against bare trafilatura.

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
REAL_PAGES = HERE.parents[1] / "shared" / "bench" / "real-pages"


def benches(quick: bool, synthetic: bool) -> dict[str, list[str]]:
    sizes = ["--growth", "10x10"] if quick else ["--growth", "20x50,200x50"]
    out = {"pipeline": ["pipeline.py", *sizes, *(["--synthetic"] if synthetic else [])]}
    if (REAL_PAGES / "evaldata.json").exists():
        out["extraction"] = ["extraction.py", *(["--limit", "100"] if quick else [])]
    # the curation floors are pinned for 5-fold protocol (b): a 3-fold smoke run prints its figures only
    out["curation"] = ["curation.py", *(["--folds", "3", "--no-gate"] if quick else [])]
    for name, script in (("summaries", "summaries.py"), ("review_list", "review_list.py")):
        if (HERE / script).exists():
            out[name] = [script]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small corpus, fewer folds (a smoke run)")
    ap.add_argument("--synthetic", action="store_true", help="the pipeline on generated pages, not the real ones")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results, failed = {}, []
    for name, argv in benches(args.quick, args.synthetic).items():
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
    p, x = results.get("pipeline", {}), results.get("extraction", {})
    summary = {k: p.get(k) for k in ("posts", "corpus", "posts_per_s", "ratio_to_trafilatura", "incremental_ratio",
                                     "incremental_requests_ratio", "third_run_ratio", "peak_rss_mb",
                                     "peak_rss_total_mb")}
    summary.update({k: x.get(k) for k in ("extraction_f1", "trafilatura_f1")})
    if args.json:
        print(json.dumps({**summary, "growth": p.get("growth"), "benchmarks": results, "failed": failed},
                         ensure_ascii=False))
    else:
        print(f"{'benchmark':14} {'figure':34} value")
        for name, figures in results.items():
            for key, value in figures.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)[:60]
                print(f"{name:14} {key:34} {value}")
        if p.get("growth"):
            sys.path.insert(0, str(HERE))
            from pipeline import print_growth
            print()
            print_growth(p["growth"])
        if failed:
            print("FAILED:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
