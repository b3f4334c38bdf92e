"""Where the time of one `gananim render FILE --force` goes: each stage's seconds and share of
the command's wall time, in one process (and its render helper, when there is one).

    python benchmarks/stages.py scenarios/strong_discr.yaml [--repeats 3]

The stages are timed by wrapping gananim's own functions in this process before the command
runs (the render helper and the trainer's spectra process are forks: they inherit the wrappers
and report their own stages):

* start-up: the interpreter, importing the command line, reading and checking the scenario;
* torch import: from asking for a run to the trainer's start (importing torch and the trainer);
* training: the game loop and its recording, less the spectra and the probes;
* Hessians / Jacobians: the spectra at the recorded points (hessian.spectra, jacobian.spectra;
  a large game's Lanczos and Arnoldi spectra point by point, hessian.lanczos_spectra and
  jacobian.arnoldi_row, mostly in the trainer's second process while training goes on);
* probes: the snapshots (D on its grid, G's samples, the metrics), every record.every games;
* frames: drawing the animation's frames (blitting); GIF: quantizing and encoding them;
* static figures: summary.png, hessian.png, ... (drawn by the helper process at the same time
  as the frames, where there is one);
* writing: summary.json and run.npz.

Stages that run at the same time in two processes add up to more than the wall time; the
"overlap" line says by how much. A checkout without some of these functions (an older
revision, run with PYTHONPATH=its folder) reports what it has. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def _child(path: str, out: str, log: str) -> None:
    """One command, with its stages appended to `log` as JSON lines (this process and its forks).
    gananim's modules are wrapped as they are imported (an import hook), so that nothing is
    imported earlier than the command itself imports it."""
    t0 = time.perf_counter()
    import functools
    import importlib.abc
    import importlib.machinery

    def record(stage: str, seconds: float) -> None:
        with open(log, "a") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "stage": stage, "s": seconds}) + "\n")

    inside: set[str] = set()  # stages being timed: a wrapped function called by another of its stage counts once

    def timed(f, stage: str, mark: str | None = None):
        @functools.wraps(f)
        def wrapper(*a, **k):
            if stage in inside:
                return f(*a, **k)
            t = time.perf_counter()
            if mark:
                record(mark, t - t0)
            inside.add(stage)
            try:
                return f(*a, **k)
            finally:
                inside.discard(stage)
                record(stage, time.perf_counter() - t)
        return wrapper

    def wrap(holder, name: str, stage: str, mark: str | None = None) -> None:
        if hasattr(holder, name):
            setattr(holder, name, timed(getattr(holder, name), stage, mark))

    def on_pipeline(m):
        obtain = m.obtain_run

        def obtain_run(*a, **k):
            record("start-up", time.perf_counter() - t0 + float(os.environ["STAGES_INTERPRETER"]))
            record("@obtain", time.perf_counter() - t0)
            return obtain(*a, **k)
        m.obtain_run = obtain_run

    def on_trainer(m):
        wrap(m, "_train", "train total", mark="@train")

    def on_probes(m):
        for cls in {type(p) if not isinstance(p, type) else p for p in m.PROBES.values()}:
            wrap(cls, "__call__", "probes")

    def on_hessian(m):
        wrap(m, "spectra", "Hessians")
        wrap(m, "lanczos_spectra", "Hessians")  # a large game's, point by point: here or in the second process

    def on_jacobian(m):
        wrap(m, "spectra", "Jacobians")
        wrap(m, "arnoldi_row", "Jacobians")  # one point's Arnoldi spectra: here or in the trainer's second process

    def on_animate(m):
        if hasattr(m, "Frames"):  # frames drawn as the GIF writer reads them
            record("@streamed", 1.0)
            wrap(m.Frames, "_draw", "frames")
        else:  # before frames were streamed: blit_frames drew them all
            wrap(m, "blit_frames", "frames")
        wrap(m, "write_gif", "GIF total")
        m.WRITERS["gif"] = m.write_gif

    def on_figures(m):
        for name in ("summary_figure", "hessian_figure", "save"):
            wrap(m, name, "static figures")

    hooks = {"gananim.pipeline": on_pipeline, "gananim.trainer": on_trainer,
             "gananim.hessian": on_hessian,
             "gananim.jacobian": on_jacobian, "gananim.probes": on_probes,
             "gananim.renderer.animate": on_animate, "gananim.renderer.figures": on_figures,
             "gananim.renderer.jacobian": lambda m: wrap(m, "jacobian_figure", "static figures"),
             "gananim.run": lambda m: wrap(m.Run, "save", "writing"),
             "gananim.metrics": lambda m: wrap(m, "headline", "writing")}

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, search, target=None):
            if name not in hooks:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, search)
            if spec is None:
                return None
            run_module = spec.loader.exec_module

            def exec_module(module):
                run_module(module)
                hooks[name](module)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Hook())
    import gananim.cli

    if hasattr(gananim.cli, "_exit_now"):  # the command ends without the interpreter's teardown
        exit_now = gananim.cli._exit_now

        def _exit_now(code):
            record("@end", time.perf_counter() - t0)
            exit_now(code)
        gananim.cli._exit_now = _exit_now
    sys.argv = ["gananim", "render", path, "--force", "--out", out, "-q"]
    try:
        gananim.cli.main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    record("@end", time.perf_counter() - t0)


def one(path: str, tmp: Path, env: dict) -> dict[str, float]:
    log = tmp / f"log{time.monotonic_ns()}.jsonl"
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", path, str(tmp / "out"), str(log)], check=True, env=env,
                   cwd=tmp)
    wall = time.perf_counter() - start
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    total: dict[str, float] = {}
    here: dict[str, float] = {}  # the command's own process (the trainer's second process is not in "train total")
    main = next(r["pid"] for r in rows if r["stage"] == "@train")
    for r in rows:
        total[r["stage"]] = total.get(r["stage"], 0.0) + r["s"]
        if r["pid"] == main:
            here[r["stage"]] = here.get(r["stage"], 0.0) + r["s"]
    out = {"wall": wall, "start-up": total["start-up"]}
    out["torch import"] = total["@train"] - total["@obtain"]
    for k in ("Hessians", "Jacobians", "probes"):
        out[k] = total.get(k, 0.0)
    out["training"] = total["train total"] - sum(here.get(k, 0.0) for k in ("Hessians", "Jacobians", "probes"))
    out["frames"] = total.get("frames", 0.0)
    streamed = "@streamed" in total
    # the streaming writer draws the frames while it encodes: its time less theirs is the encoding
    out["GIF"] = total.get("GIF total", 0.0) - (out["frames"] if streamed else 0.0)
    out["static figures"] = total.get("static figures", 0.0)
    out["writing"] = total.get("writing", 0.0)
    out["exit"] = wall - total["@end"] - float(env["STAGES_INTERPRETER"])
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = str(Path(args.scenario).resolve())
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    env = dict(os.environ, STAGES_INTERPRETER=f"{time.perf_counter() - start:.4f}")
    here = str(Path(__file__).resolve().parents[1])
    env.setdefault("PYTHONPATH", here)
    with tempfile.TemporaryDirectory() as tmp_name:
        runs = [one(path, Path(tmp_name), env) for _ in range(args.repeats)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    wall = med.pop("wall")
    print(f"{Path(path).name}: wall {wall:.2f} s (median of {args.repeats}; gananim from {env['PYTHONPATH']})")
    for k, v in med.items():
        print(f"  {k:<16} {v:6.2f} s  {100 * v / wall:4.0f} %")
    summed = sum(med.values())
    print(f"  {'overlap':<16} {summed - wall:6.2f} s  (stages that ran at once in two processes)")


if __name__ == "__main__":
    main()
