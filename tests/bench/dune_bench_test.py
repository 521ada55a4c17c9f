#!/usr/bin/env python3
"""dune_bench_test.py: a quick dune-bench run over a few benchmarks, and the
checks that its JSON is complete and sane: every benchmark present, the
figures positive and ordered, ratio = dune / Linux. Then --baseline: a run
with the same library as baseline (a third side, its ratios), one with a
library that is not dune (the baseline's side fails with its reason, dune's
does not), one with a missing file (refused). No timing thresholds: the test
machine may be an emulator, where only the ratios mean anything.

    dune_bench_test.py PATH/TO/dune-bench
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

# A reduced set, for CI time; one of each kind.
ONLY = ["getpid", "getpid-norewrite", "getpid-exitless", "read", "writev-exitless", "kvm-floor",
        "page-fault", "trap", "ptrace", "python3", "python3-exitless"]
# These work under dune today: their dune side must have been measured.
MUST_RUN_UNDER_DUNE = {"getpid", "getpid-norewrite", "getpid-exitless", "read", "writev-exitless",
                       "page-fault", "trap", "ptrace", "python3", "python3-exitless"}
# The --baseline run: a plain call, an exitless one with checked arguments, a program.
BASELINE_ONLY = ["getpid", "read-exitless", "python3"]
REPS = 2
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def positive(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def close(a, b):
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def check_series(name, side, s):
    if not check(isinstance(s, dict), f"{name}: {side} is not an object: {s!r}"):
        return
    for k in ("median", "min", "max"):
        check(positive(s.get(k)), f"{name}: {side}.{k} is not a positive number: {s.get(k)!r}")
    if all(positive(s.get(k)) for k in ("median", "min", "max")):
        check(s["min"] <= s["median"] <= s["max"], f"{name}: {side}: not min <= median <= max: {s}")
    samples = s.get("samples")
    check(isinstance(samples, list) and len(samples) == REPS and all(positive(v) for v in samples),
          f"{name}: {side}.samples should be {REPS} positive numbers: {samples!r}")


def check_ratio(name, what, ratio, linux, dune):
    if linux is None or dune is None:
        check(ratio is None, f"{name}: {what} is {ratio!r} with a side missing")
    elif check(positive(ratio), f"{name}: {what} is not positive: {ratio!r}"):
        check(close(ratio, dune["median"] / linux["median"]),
              f"{name}: {what} {ratio} is not dune / Linux = {dune['median'] / linux['median']}")


def check_bench(b):
    name = b.get("name")
    check(b.get("unit") in ("ns", "ms"), f"{name}: unit {b.get('unit')!r}")
    check(b.get("kind") in ("micro", "floor", "interposition", "program"), f"{name}: kind {b.get('kind')!r}")
    check(b.get("linux") is not None, f"{name}: the Linux side failed: {b.get('linux_reason')}")
    if b.get("linux") is not None:
        check_series(name, "linux", b["linux"])
    if b.get("dune") is None:
        check(isinstance(b.get("dune_reason"), str) and b["dune_reason"],
              f"{name}: no dune figure and no reason for it")
        check(name not in MUST_RUN_UNDER_DUNE, f"{name}: the dune side failed: {b.get('dune_reason')}")
    else:
        check_series(name, "dune", b["dune"])
        check(b.get("dune_reason") is None, f"{name}: a dune figure and a failure reason")
    check_ratio(name, "ratio", b.get("ratio"), b.get("linux"), b.get("dune"))
    if b.get("kind") == "floor":
        check(b.get("dune") is None and b.get("ratio") is None, f"{name}: the floor has a dune side")
    if b.get("kind") == "interposition":
        check(b.get("dune_measures") == "getpid" and b.get("dune_stand_in")
              and "DUNE_POLICY=" in (b.get("dune_env") or ""),
              f"{name}: the dune figure must be getpid under a tracing policy, and marked so")
    if b.get("kind") == "program":
        cpu = b.get("cpu")
        if check(isinstance(cpu, dict), f"{name}: no cpu figures"):
            if cpu.get("linux") is not None:
                check_series(name, "cpu.linux", cpu["linux"])
            if cpu.get("dune") is not None:
                check_series(name, "cpu.dune", cpu["dune"])
            check_ratio(name, "cpu.ratio", cpu.get("ratio"), cpu.get("linux"), cpu.get("dune"))


def check_baseline(b):
    """The third side of a --baseline run, whose library is dune's own."""
    name = b.get("name")
    if check(b.get("baseline") is not None, f"{name}: the baseline side failed: {b.get('baseline_reason')}"):
        check_series(name, "baseline", b["baseline"])
        check(b.get("baseline_reason") is None, f"{name}: a baseline figure and a failure reason")
    check_ratio(name, "baseline_ratio", b.get("baseline_ratio"), b.get("linux"), b.get("baseline"))
    check_ratio(name, "dune_to_baseline", b.get("dune_to_baseline"), b.get("baseline"), b.get("dune"))
    if b.get("kind") == "program" and isinstance(b.get("cpu"), dict):
        cpu = b["cpu"]
        if cpu.get("baseline") is not None:
            check_series(name, "cpu.baseline", cpu["baseline"])
        check_ratio(name, "cpu.baseline_ratio", cpu.get("baseline_ratio"), cpu.get("linux"),
                    cpu.get("baseline"))
        check_ratio(name, "cpu.dune_to_baseline", cpu.get("dune_to_baseline"), cpu.get("baseline"),
                    cpu.get("dune"))


def check_header(r):
    check(r.get("tool") == "dune-bench" and r.get("quick") is True and r.get("reps") == REPS,
          f"header: {dict((k, r.get(k)) for k in ('tool', 'quick', 'reps'))}")


def check_report(r):
    check_header(r)
    check(r.get("baseline") is None, f"baseline {r.get('baseline')!r} without --baseline")
    m = r.get("machine", {})
    check(isinstance(m.get("cpu"), str) and m["cpu"], "machine.cpu missing")
    check(isinstance(m.get("kernel"), str) and m["kernel"], "machine.kernel missing")
    check(m.get("kvm") in ("VT-x", "SVM", "PVM", "unknown"), f"machine.kvm is {m.get('kvm')!r}")
    check(isinstance(m.get("emulated"), bool), "machine.emulated is not a boolean")
    names = [b.get("name") for b in r.get("benchmarks", [])]
    check(names == ONLY, f"benchmarks {names}, expected {ONLY}")
    for b in r.get("benchmarks", []):
        check_bench(b)
        check("dune_to_baseline" not in b, f"{b.get('name')}: baseline figures without --baseline")
    f = r.get("floor")
    if check(isinstance(f, dict), "no floor section"):
        check(positive(f.get("kvm_run_ns")), f"floor.kvm_run_ns {f.get('kvm_run_ns')!r}")
        for g in ("getpid", "getpid-norewrite"):
            ns, ratio = f.get(g, {}).get("dune_ns"), f.get(g, {}).get("to_floor")
            if check(positive(ns) and positive(ratio), f"floor: {g} figures {ns!r} {ratio!r}"):
                check(close(ratio, ns / f["kvm_run_ns"]), f"floor: {g} ratio {ratio} != {ns} / floor")


def check_baseline_report(r, preload):
    check_header(r)
    check(r.get("preload") == preload and r.get("baseline") == preload,
          f"preload {r.get('preload')!r}, baseline {r.get('baseline')!r}: both should be {preload}")
    names = [b.get("name") for b in r.get("benchmarks", [])]
    check(names == BASELINE_ONLY, f"--baseline run: benchmarks {names}, expected {BASELINE_ONLY}")
    for b in r.get("benchmarks", []):
        check_bench(b)
        check_baseline(b)


def loaded_libc():
    """A library that is surely no dune: the C library this process runs on."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if os.path.basename(path).startswith("libc.so"):
                return path
    return None


def run(cmd, what):
    print("running:", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=1500)
    print(p.stdout)
    check(p.returncode == 0, f"{what}: dune-bench exited with {p.returncode}")
    return p.stdout


def load(path, what):
    if not check(os.path.exists(path), f"{what}: no JSON written"):
        return {}
    with open(path) as f:
        return json.load(f)


def test_baseline(bench, tmp, preload):
    """--baseline: the same library as baseline, then one that is not dune,
    then a file that is not there."""
    out = os.path.join(tmp, "baseline.json")
    stdout = run([bench, "--quick", "--reps", str(REPS), "--only", ",".join(BASELINE_ONLY),
                  "--baseline", preload, "--json", out], "--baseline")
    check("| benchmark | Linux | baseline | dune | dune / Linux | dune / baseline |" in stdout,
          "--baseline: no table with a baseline column on stdout")
    check_baseline_report(load(out, "--baseline"), preload)

    libc = loaded_libc()
    if check(libc is not None, "no libc.so in /proc/self/maps, for a baseline that is not dune"):
        out = os.path.join(tmp, "not-dune.json")
        run([bench, "--quick", "--reps", str(REPS), "--only", "getpid", "--baseline", libc,
             "--json", out], "--baseline " + libc)
        for b in load(out, "--baseline " + libc).get("benchmarks", []):
            why = b.get("baseline_reason") or ""
            check(b.get("dune") is not None,
                  f"not-dune baseline: the dune side failed: {b.get('dune_reason')}")
            check(b.get("baseline") is None and "did not run under dune" in why,
                  f"not-dune baseline: {b.get('baseline')!r}, reason {why!r}")
            check(b.get("dune_to_baseline") is None,
                  f"not-dune baseline: ratio {b.get('dune_to_baseline')!r}")

    missing = os.path.join(tmp, "no-such-libdunepre.so")
    p = subprocess.run([bench, "--quick", "--only", "getpid", "--baseline", missing],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check(p.returncode == 2 and missing in p.stderr,
          f"--baseline of a missing file: exit {p.returncode}, stderr {p.stderr.strip()!r}")


def main():
    bench = sys.argv[1]
    ci = os.environ.get("CI") == "true"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        # Never a skip: a run without KVM has measured nothing of dune.
        print(f"FAIL: /dev/kvm is not usable here ({e.strerror}){' and CI=true' if ci else ''}: "
              "dune-bench needs KVM. Run the kvm tests with scripts/test, which boots an emulated "
              "machine with KVM (tests/vm/kvm-run) where this one has none.")
        return 1
    plot = shutil.which("gnuplot") is not None
    if not plot:
        check(not ci, "gnuplot is missing (scripts/setup installs gnuplot-nox)")
        print("note: no gnuplot here, --plot not tested")
    with tempfile.TemporaryDirectory(prefix="dune-bench-test.") as tmp:
        out = os.path.join(tmp, "bench.json")
        png = os.path.join(tmp, "bench.png")
        cmd = [bench, "--quick", "--reps", str(REPS), "--only", ",".join(ONLY), "--json", out]
        cmd += ["--plot", png] if plot else []
        stdout = run(cmd, "the main run")
        check("| benchmark | Linux | dune | dune / Linux |" in stdout, "no table on stdout")
        report = load(out, "the main run")
        check_report(report)
        if plot and check(os.path.exists(png), "no PNG written"):
            with open(png, "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the plot is no PNG")
        if check(isinstance(report.get("preload"), str), "no preload in the JSON, for --baseline"):
            test_baseline(bench, tmp, report["preload"])
    for what in failures:
        print("FAIL:", what)
    print("dune_bench_test:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
