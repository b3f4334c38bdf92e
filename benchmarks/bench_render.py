"""How long `make demo`'s render takes: `gananim render scenarios/strong_discr.yaml`,
end to end in a fresh process (Python and torch start-up included), and its parts.

Run: .venv/bin/python benchmarks/bench_render.py [--repeats N]
Prints medians over N repeats (time.perf_counter). Nothing here is asserted.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "strong_discr.yaml"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import gananim
    from gananim.renderer.animate import render_frames, write_gif
    from gananim.renderer import style

    sc = gananim.load_scenario(SCENARIO)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "gananim", "render", str(SCENARIO), "--out", tmp, "--quiet"]
        rows.append(("gananim render strong_discr.yaml (end to end, new process)",
                     [timed(lambda: subprocess.run(cli, check=True)) for _ in range(args.repeats)]))
        no_hessian = sc.model_copy(update={"record": sc.record.model_copy(update={"hessian": False})})
        rows.append(("  train, 500 games x 50 D steps, no Hessian", [timed(lambda: gananim.train(no_hessian)) for _ in range(args.repeats)]))
        runs = []
        rows.append(("  train, with the Hessian every game", [timed(lambda: runs.append(gananim.train(sc))) for _ in range(args.repeats)]))
        run = runs[-1]
        frames = []
        with style.theme():
            rows.append((f"  draw {len(run.snap_game)} animation frames",
                         [timed(lambda: frames.append(render_frames(run, 100))) for _ in range(args.repeats)]))
        rows.append(("  encode the GIF (shared palette)",
                     [timed(lambda: write_gif(frames[-1], Path(tmp) / "a.gif", 8)) for _ in range(args.repeats)]))
        rows.append(("  render(run): GIF, summary, Hessian, json, npz",
                     [timed(lambda: gananim.render(run, Path(tmp) / "r")) for _ in range(args.repeats)]))
        gif_kb = (Path(tmp) / "a.gif").stat().st_size / 1024

    width = max(len(name) for name, _ in rows)
    print(f"{'what':<{width}}  median s   (repeats: {args.repeats})")
    for name, times in rows:
        print(f"{name:<{width}}  {statistics.median(times):8.2f}")
    print(f"GIF: {gif_kb:.0f} KB for {len(run.snap_game)} frames ({gif_kb / len(run.snap_game):.1f} KB per frame)")


if __name__ == "__main__":
    main()
