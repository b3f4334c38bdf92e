"""Hostile input: odd file names, hostile YAML, huge values, odd output targets. Every outcome
is a valid scenario or the one-line error (exit status 2), never a traceback, and nothing is
written outside --out or half-written inside it."""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gananim.errors import MAX_MESSAGE
from gananim.scenario import ScenarioError, load_scenario, parse_scenario, parse_text

from .conftest import tiny

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.name != "gallery.yaml")  # the page's layout


def gananim(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "gananim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def in_process(*args, cwd):
    """The command run in this process (click's runner): for errors found before training, which
    need no new interpreter. Returns what subprocess.run would (returncode, stderr)."""
    from click.testing import CliRunner

    from gananim.cli import main

    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args))
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def one_error_line(res, status: int = 2) -> str:
    """The run failed with exit status `status` (2: bad input; 3: a diverged game) and exactly one
    bounded error line."""
    assert res.returncode == status, (res.returncode, res.stderr[-2000:])
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gananim: error: "), res.stderr[-2000:]
    assert len(lines[0]) <= len("gananim: error: ") + MAX_MESSAGE
    return lines[0]


def small(**changes) -> str:
    return yaml.safe_dump(tiny(training={"games": 4}, record={"every": 2, "hessian": False}, **changes))


# --- 1. nothing outside --out ------------------------------------------------------------------

BAIT = ("hessian.png", "summary.pdf", "seeds.gif", "animation.gif", "summary.json", "run.npz")


@pytest.mark.parametrize("stem", ["..", "."])
@pytest.mark.parametrize("command", ["render", "gallery", "compare"])
def test_a_file_named_dots_cannot_write_outside_its_folder(tmp_path, stem, command):
    base = tmp_path / "project"
    (base / "sc").mkdir(parents=True)
    (base / "out").mkdir()
    for folder in (base, base / "out"):  # files a user keeps beside and in --out
        for name in BAIT:
            (folder / name).write_text("the user's own file")
    (base / "sc" / f"{stem}.yaml").write_text(small())
    (base / "sc" / "fine.yaml").write_text(small())
    args = {"render": ["render", f"sc/{stem}.yaml", "--out", "out"],
            "gallery": ["gallery", "sc", "--out", "out", "-j", "1"],
            "compare": ["compare", "sc/fine.yaml", f"sc/{stem}.yaml", "--out", "out"]}[command]
    res = in_process(*args, "-q", cwd=base)
    if command == "gallery":  # a hidden file is not a scenario of the folder (as a shell's * would have it)
        assert res.returncode == 0, res.stderr
        assert (base / "out" / "fine" / "summary.json").exists()
        for name in ("fine", "index.html", "gallery.md"):
            shutil.rmtree(base / "out" / name) if name == "fine" else (base / "out" / name).unlink()
    else:
        line = one_error_line(res)
        assert f"the output folder would be '{stem}'" in line and "rename the file" in line
    for folder in (base, base / "out"):
        for name in BAIT:
            assert (folder / name).read_text() == "the user's own file"
    assert sorted(p.name for p in (base / "out").iterdir()) == sorted(BAIT)


def test_names_that_are_not_plain_folder_names_are_refused():
    for name in ("..", ".", ".hidden", "", "a\nb", "index.html", "gallery.md", "x" * 121):
        with pytest.raises(ScenarioError, match="the output folder would be"):
            parse_scenario(tiny(), "f.yaml", name)
    for name in ("javascript:alert(1);0", "a b", "ünïcode", "with'quote\"", "a#b?c%d"):
        assert parse_scenario(tiny(), "f.yaml", name).name == name


def test_cleanup_removes_only_what_gananim_wrote(tmp_path):
    from gananim.renderer import MANIFEST, render
    from gananim.trainer import train

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "summary.pdf").write_text("mine")  # never written by gananim
    quick = {"training": {"games": 4}, "record": {"hessian": False}, "render": {"outputs": ["summary"]}}
    render(train(parse_scenario(tiny(**quick | {"render": {"outputs": ["summary"], "formats": ["png", "svg"]}}))),
           folder)
    assert (folder / "summary.svg").exists() and "summary.svg" in (folder / MANIFEST).read_text()
    render(train(parse_scenario(tiny(**quick))), folder)
    assert not (folder / "summary.svg").exists()  # listed: removed
    assert (folder / "summary.pdf").read_text() == "mine"  # never listed: kept
    (folder / MANIFEST).write_text('["../../escape.txt", "summary.pdf", 3]')  # a tampered record
    (tmp_path / "escape.txt").write_text("outside")
    render(train(parse_scenario(tiny(**quick))), folder)
    assert (tmp_path / "escape.txt").exists()  # only names gananim can write are ever removed
    assert not (folder / "summary.pdf").exists()  # summary.pdf is one of them, and it was listed


# --- 5. odd targets, found before training -------------------------------------------------------

@pytest.mark.parametrize("case", ["out under a file", "folder is a file", "output is a folder", "/proc"])
def test_odd_output_targets_are_one_line_before_training(tmp_path, case):
    (tmp_path / "g.yaml").write_text(small())
    out = "out"
    if case == "out under a file":
        (tmp_path / "afile").write_text("x")
        out, expected = "afile/sub", "not a folder (afile is a file)"
    elif case == "folder is a file":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "g").write_text("x")
        expected = "the output folder exists as a file"
    elif case == "output is a folder":
        (tmp_path / "out" / "g" / "summary.png").mkdir(parents=True)
        expected = "summary.png: exists and is not a plain file"
    else:
        out, expected = "/proc/gananim-test/x", "cannot write there"
    line = one_error_line(in_process("render", "g.yaml", "--out", out, cwd=tmp_path))
    assert expected in line, line
    assert not list(tmp_path.rglob("run.npz")) and not list(tmp_path.rglob("*.gif"))
    assert not list(tmp_path.rglob(".gananim-probe-*"))


# --- 3. the YAML layer ---------------------------------------------------------------------------

BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'lol'] * 9)}]\n" for i in range(9))
MERGE_BOMB = "m0: &m0 {" + ", ".join(f"k{j}: 1" for j in range(9)) + "}\n" + "".join(
    f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}]}}\n" for i in range(1, 9))
HOSTILE_YAML = {
    "invalid date": ("data: {kind: gaussian}\nseed: 2024-13-45\n", "seed: must be a number, not text (got '2024-13-45')"),
    "bad int tag": ("data: {kind: gaussian}\nseed: !!int abc\n", "line 2: invalid YAML: 'abc' is not a valid integer"),
    "bad float tag": ("data: {kind: gaussian}\noptimizer: {lr: !!float abc}\n", "'abc' is not a valid number"),
    "binary tag": ("data: {kind: gaussian}\ntitle: !!binary aGk=\n", "the tag !!binary is not allowed"),
    "python tag": ("data: !!python/object/apply:os.system ['true']\n", "is not allowed in a scenario"),
    "list as key": ("data: {kind: gaussian}\n? [1, 2]\n: 3\n", "keys must be names (text)"),
    "nested brackets": ("data: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested deeper than 64 levels"),
    "alias bomb": (BOMB + "data: {kind: gaussian}\n", "l0: unknown key"),
    "alias bomb in description": ("defs:\n  " + BOMB.replace("\n", "\n  ") + "\ndata: {kind: gaussian}\n"
                                  "description: *l8\n", "description: must be a valid string (got [[[[...]"),
    "merge bomb": (MERGE_BOMB + "data: {kind: gaussian}\n", "more than 10,000 keys merged by <<"),
    "merge bomb, wide": ("m: &m {" + ", ".join(f"k{j}: 1" for j in range(5000)) + "}\n"
                         + "".join(f"c{i}: {{<<: *m}}\n" for i in range(20)) + "data: {kind: gaussian}\n",
                         "more than 10,000 keys merged by <<"),
    "recursive alias": ("data: &a [*a]\n", "data: must be a mapping of keys (got [[[[...]]]])"),
    "sexagesimal": ("data: {kind: gaussian}\nseed: 1:30\n", "seed: must be a number, not text (got '1:30')"),
    "quoted float": ("data: {kind: gaussian}\noptimizer: {lr: '0.1'}\n", "optimizer.lr: must be a number, not text"),
    "quoted int": ("data: {kind: gaussian}\ntraining: {games: '5'}\n", "training.games: must be a number, not text"),
    "yes is not true": ("data: {kind: gaussian}\nrecord: {hessian: yes}\n", "record.hessian: must be true or false"),
    "huge integer": ("data: {kind: gaussian}\nseed: " + "9" * 5000 + "\n", "is not a valid integer"),
    "control character": ('data: {kind: gaussian}\ntitle: "a\\x07b"\n', "title: must be printable text on one line"),
    "long title": ("data: {kind: gaussian}\ntitle: " + "x" * 100_000 + "\n", "title: must have at most 200 characters"),
    "duplicate key": ("data: {kind: gaussian, kind: ring}\n", "duplicate key 'kind'"),
}


@pytest.mark.parametrize("text, message", HOSTILE_YAML.values(), ids=HOSTILE_YAML)
def test_hostile_yaml_is_one_bounded_line(text, message):
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        parse_text(text, "x.yaml", "x")
    line = str(info.value)
    assert message in line and line.startswith("x.yaml: ")
    assert "\n" not in line and len(line) <= MAX_MESSAGE
    assert time.perf_counter() - start < 5  # a guard against hangs, not a speed claim


def test_yaml_1_2_scalars():
    sc = parse_text("data: {kind: gaussian}\nseed: 017\noptimizer: {lr: 1e-3}\ntitle: 2024-01-01\n", "x")
    assert (sc.seed, sc.optimizer.lr, sc.title) == (17, 0.001, "2024-01-01")  # decimal; a float; text
    sc = parse_text("data: {kind: gaussian}\nseed:\nrecord: {hessian_every: }\n", "x")
    assert sc.seed == 0 and sc.record.hessian_every is None  # an empty value is null: the default
    sc = parse_text("data: {<<: {kind: gaussian, mean: 2.0, std: 2.0}, mean: 3.0}\n", "x")
    assert (sc.data.mean, sc.data.std) == (3.0, 2.0)  # a merge key's values are overridden, not duplicates


def test_huge_and_endless_files_are_refused_without_reading_them(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.write(b"data: {kind: gaussian}\ndescription: '")
        fh.seek(50_000_000)
        fh.write(b"'\n")
    for path in (big, Path("/dev/zero")):
        start = time.perf_counter()
        with pytest.raises(ScenarioError, match="larger than 1 MB"):
            load_scenario(path)
        assert time.perf_counter() - start < 5
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        (tmp_path / "latin.yaml").write_bytes(b"title: caf\xe9\n")
        load_scenario(tmp_path / "latin.yaml")


# --- 4. limits that validate knows ---------------------------------------------------------------

BIG = {
    "games": ({"training": {"games": 10**12}}, "training.games: must be less than or equal to 1000000"),
    "batch": ({"training": {"batch_size": 10**9}}, "training.batch_size: must be less than or equal to 100000"),
    "samples": ({"data": {"kind": "gaussian", "samples": 10**10}}, "data.samples: must be less than or equal to"),
    "noise dim": ({"noise": {"kind": "normal", "dim": 10**7}}, "noise.dim: must be less than or equal to 1024"),
    "hidden": ({"generator": {"kind": "mlp", "hidden": [10**6, 10**6]}}, "generator.hidden[0]: must be less than"),
    "grid": ({"record": {"grid": 10**8}}, "record.grid: must be less than or equal to 10000"),
    "density": ({"record": {"density_samples": 10**9}}, "record.density_samples: must be less than or equal to"),
    "ring k": ({"data": {"kind": "ring", "k": 10**6}}, "data.k: must be less than or equal to 1000"),
    "grid k": ({"data": {"kind": "grid", "k": 10**4}}, "data.k: must be less than or equal to 32"),
    "mean": ({"data": {"kind": "gaussian", "mean": 1e308}}, "data.mean: must be between -1e+06 and 1e+06 (got 1e+308)"),
    "tiny std": ({"data": {"kind": "gaussian", "std": 1e-300}}, "data.std: must be 0 or at least 1e-09 in size"),
    "no outputs": ({"render": {"outputs": []}}, "render.outputs: must have at least 1 item(s)"),
    "repeated output": ({"render": {"outputs": ["summary", "summary"]}}, "render.outputs: must not name a value twice"),
    "repeated format": ({"render": {"formats": ["png", "png"]}}, "render.formats: must not name a value twice"),
}


@pytest.mark.parametrize("changes, message", BIG.values(), ids=BIG)
def test_every_size_has_a_bound(changes, message):
    raw = {"data": {"kind": "gaussian"}} | changes
    with pytest.raises(ScenarioError, match="^x.yaml: " + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]").replace("+", r"\+")):
        parse_scenario(raw, "x.yaml")


def test_validate_estimates_and_refuses_what_the_machine_cannot_do(tmp_path):
    (tmp_path / "ok.yaml").write_text(small())
    res = in_process("validate", "-v", "ok.yaml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "ok.yaml: ok (4 games" in res.stdout and "estimate: 12 player updates, 3 snapshots" in res.stdout
    # each size within its bound, together beyond any machine: 10^6 games of 10^4 D steps
    huge = tiny(training={"games": 1_000_000, "d_steps": 10_000}, record={"every": 1000, "hessian": False})
    (tmp_path / "huge.yaml").write_text(yaml.safe_dump(huge))
    line = one_error_line(in_process("validate", "huge.yaml", cwd=tmp_path))
    assert "huge.yaml: too big for this machine (estimated): about" in line and "hours" in line and "--allow-big" in line
    assert in_process("validate", "--allow-big", "huge.yaml", cwd=tmp_path).returncode == 0
    frames = tiny(training={"games": 100_000}, record={"every": 1, "hessian": False})
    (tmp_path / "frames.yaml").write_text(yaml.safe_dump(frames))
    line = one_error_line(in_process("render", "frames.yaml", "--out", "out", cwd=tmp_path))
    assert "100,001 snapshots (frames; at most 5,000: raise record.every)" in line
    assert not (tmp_path / "out").exists()


# --- 6. divergence names its cause ---------------------------------------------------------------

def test_a_huge_learning_rate_counts_as_diverged(tmp_path):
    tutorial = (ROOT / "scenarios" / "balanced.yaml").read_text()
    raw = yaml.safe_load(tutorial)
    raw["optimizer"]["lr"] = 1e6
    (tmp_path / "lr.yaml").write_text(yaml.safe_dump(raw))
    line = one_error_line(gananim("render", "lr.yaml", "--out", "out", "-q", cwd=tmp_path), status=3)
    assert "lr.yaml: training diverged at game " in line and "parameters reached" in line
    assert "try a smaller optimizer.lr (the discriminator's is 1e+06)" in line
    assert not re.search(r"\b(nan|inf)\b", line.lower())  # finite values only
    assert not (tmp_path / "out" / "lr").exists()


def test_huge_initial_weights_point_at_init_std(tmp_path):
    raw = tiny(discriminator={"kind": "linear", "init": "normal", "init_std": 1e6})
    (tmp_path / "init.yaml").write_text(yaml.safe_dump(raw))
    line = one_error_line(gananim("render", "init.yaml", "--out", "out", "-q", cwd=tmp_path), status=3)
    assert "training diverged" in line and "discriminator.init_std (1e+06) is large: try a smaller one" in line


# --- 7. quiet is quiet ---------------------------------------------------------------------------

def test_warnings_are_one_line_and_quiet_silences_them(tmp_path):
    (tmp_path / "glyph.yaml").write_text(small(title="Kanji 漢字 title"))
    loud = gananim("render", "glyph.yaml", "--out", "a", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    warned = [line for line in loud.stderr.splitlines() if "warning" in line]
    assert warned and all(line.startswith("gananim: warning: a character of the title") for line in warned)
    assert "Traceback" not in loud.stderr and "warnings.warn" not in loud.stderr
    quiet = gananim("render", "glyph.yaml", "--out", "b", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    quiet = gananim("gallery", ".", "--out", "c", "--quiet", "-j", "2", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


# --- 8. a gallery over the folder that holds its own output --------------------------------------

def test_gallery_of_dot_twice_does_not_render_its_own_copies(tmp_path):
    (tmp_path / "one.yaml").write_text(small())
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skip.yaml").write_text("not: a scenario")  # .venv, .git: never scanned
    for _ in range(2):
        res = in_process("gallery", ".", "--out", "gallery", "-j", "1", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert "gallery: 1 scenarios" in res.stderr
    assert sorted(p.name for p in (tmp_path / "gallery").iterdir() if p.is_dir()) == ["one"]


# --- the fuzz test -------------------------------------------------------------------------------

TOKENS = ["1:30", "2024-13-45", "!!int abc", "!!float x", "'0.1'", "1e308", "-1e308", ".nan", ".inf", "10000000000000",
          "[1, 2]", "{a: 1}", "~", "''", "yes", "!!binary aGk=", "*nowhere", "&a x", "0x1F", "0o17", "-0", "1_000",
          '"\\x00"', "[[[[", "}", "\u202e", "9" * 30, "1e-320", "true", "!!set {a}", "? [1]", "|", ">", "- x",
          "@", "`", "%YAML 1.1", "---", "...", "\t", "&a [*a]", "<<: {kind: ring}", "!!timestamp 2001-12-14"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines)) if lines else 0
        op = rng.randrange(7)
        if not lines:
            lines = [rng.choice(TOKENS)]
        elif op == 0 and ":" in lines[i]:  # a value replaced by a hostile token
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(TOKENS)}"
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, lines[i])
        elif op == 3:
            pos = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + rng.choice(":-[]{}&*!|>'\"#%@` \t,?") + lines[i][pos:]
        elif op == 4:
            lines[i] = ("  " + lines[i]) if rng.random() < 0.5 else lines[i][2:]
        elif op == 5:
            lines = lines[: i + 1]
        else:
            lines.insert(i, rng.choice(TOKENS))
    return "\n".join(lines) + "\n"


def test_fuzzed_scenario_texts_give_a_scenario_or_one_line(tmp_path):
    from gananim.cost import estimate

    texts = [p.read_text() for p in SHIPPED]
    rng = random.Random(20261204)
    outcomes = {"valid": 0, "error": 0}
    for n in range(1200):
        text = mutate(rng.choice(texts), rng)
        try:
            sc = parse_text(text, "fuzz.yaml", "fuzz")
        except ScenarioError as exc:
            line = str(exc)
            assert line.startswith("fuzz.yaml: ") and "\n" not in line and len(line) <= MAX_MESSAGE, (text, line)
            outcomes["error"] += 1
        else:
            cost = estimate(sc)  # a valid scenario can always be priced
            assert cost.memory > 0 and cost.seconds > 0 and cost.updates >= 1
            outcomes["valid"] += 1
    assert outcomes["valid"] > 100 and outcomes["error"] > 300, outcomes  # both kinds were exercised


def test_fuzzed_file_through_the_command_line(tmp_path):
    """The same guarantees at the process boundary: one line, status 2, for a sample of texts."""
    rng = random.Random(7)
    texts = [p.read_text() for p in SHIPPED]
    for n in range(1):
        while True:
            text = mutate(rng.choice(texts), rng)
            try:
                parse_text(text, "f", "f")
            except ScenarioError:
                break
        (tmp_path / f"f{n}.yaml").write_text(text)
        assert "fuzz" not in one_error_line(gananim("validate", f"f{n}.yaml", cwd=tmp_path))


# --- 5. signals ----------------------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def wait_for(condition, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return False


LONG = tiny(training={"games": 1500}, record={"every": 5, "hessian": False})  # 301 frames: a slow GIF write


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_sigterm_mid_write_leaves_no_temporary_or_truncated_file(tmp_path):
    (tmp_path / "long.yaml").write_text(yaml.safe_dump(LONG))
    proc = subprocess.Popen([sys.executable, "-m", "gananim", "render", "long.yaml", "--out", "out"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "out" / "long"
    assert wait_for(lambda: folder.is_dir() and any(p.name.endswith(".tmp") for p in folder.iterdir()))
    proc.send_signal(signal.SIGTERM)  # while a temporary file is being written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.splitlines()[-1] == "gananim: stopped by SIGTERM; no partly written file was left"
    assert "Traceback" not in err
    assert [p.name for p in folder.iterdir() if ".tmp" in p.name] == []
    for gif in folder.glob("*.gif"):  # anything under a final name is complete
        from PIL import Image

        assert Image.open(gif).n_frames == 301


def test_a_killed_render_leaves_temporaries_that_the_next_render_removes(tmp_path):
    folder = tmp_path / "out" / "g"
    folder.mkdir(parents=True)
    dead = 4_000_000
    while alive(dead):
        dead += 1
    stale = [folder / f".animation.gif.{dead}.tmp", folder / f".summary.{dead}.tmp.png"]
    live = folder / f".summary.json.{os.getpid()}.tmp"  # a process that still runs (this one)
    for p in stale + [live]:
        p.write_text("partial")
    (tmp_path / "g.yaml").write_text(small())
    assert gananim("render", "g.yaml", "--out", "out", "-q", cwd=tmp_path).returncode == 0
    assert not any(p.exists() for p in stale) and live.exists()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_a_stopped_gallery_stops_its_workers(tmp_path, signum=signal.SIGTERM):
    for name in ("a", "b", "c"):
        (tmp_path / "sc").mkdir(exist_ok=True)
        (tmp_path / "sc" / f"{name}.yaml").write_text(yaml.safe_dump(LONG))
    proc = subprocess.Popen([sys.executable, "-m", "gananim", "gallery", "sc", "--out", "out", "--jobs", "2"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: (tmp_path / "out").is_dir() and any((tmp_path / "out").rglob("*.tmp")), timeout=120)
    workers = descendants(proc.pid)
    assert len(workers) >= 2  # two workers (and the resource tracker)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err.splitlines()[-1] and "Traceback" not in err
    assert wait_for(lambda: not any(alive(p) for p in workers), timeout=15), [p for p in workers if alive(p)]
    assert not list((tmp_path / "out").rglob("*.tmp*"))


def test_out_may_be_a_link_the_user_made(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "g.yaml").write_text(small())
    res = in_process("render", "g.yaml", "--out", "link", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "real" / "g" / "summary.json").exists()
    (tmp_path / "real" / "h").symlink_to(tmp_path / "real" / "g")  # but a scenario's own folder may not be
    (tmp_path / "h.yaml").write_text(small())
    assert "the output folder exists as a link" in one_error_line(in_process("render", "h.yaml", "--out", "link",
                                                                            cwd=tmp_path))
