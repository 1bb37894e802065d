"""Tables of scripts/bench: our timings against the PyTorch peers measured in the same run, as ratios (peer time / ours:
above 1 we are faster). Every table starts with what the peer runs on; when its sgemm is below the floor of
scripts/peers/blas_report.py (a reference BLAS) no ratio is printed. A peer file argument may name several runs of
the peer separated by commas (scripts/bench runs each peer before and after ours): the peer's best is used, so a
busy moment of a shared machine is not counted against it.
  bench_report.py kernels DEVICE JMH_JSON ATTENTION_PEER_JSON[,...] LINEAR_PEER_JSON[,...]
  bench_report.py model CONFIG OURS_JSON PEER_JSON[,...]
  bench_report.py train CONFIG OURS_JSON PEER_JSON[,...]
and, to collect our runs into OURS_JSON (a JSON object by device):
  bench_report.py record OURS_JSON DEVICE L|- RUN_JSON          (a forward's --json at length L; - : the device's run)
  bench_report.py record-train OURS_JSON DEVICE LOG_JSONL STDERR WARMUP_STEPS TOKENS_PER_STEP   (a scripts/run train run)"""
import json
import re
import statistics
import sys


def load(path):
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if text else {}


def best(a, b, larger_is_better=False):
    """The better of two runs of a peer, field by field: the shorter median time, the higher rate (tokens/s, sgemm)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: best(a[key], b[key], larger_is_better or key in ("tokens_per_s", "sgemm_gflops")) if key in a and key in b
                else a.get(key, b.get(key)) for key in {**a, **b}}
    if isinstance(a, float) and isinstance(b, float):
        return max(a, b) if larger_is_better else min(a, b)
    return a


def load_peer(paths):
    """A peer measured once or several times (comma-separated files): its best figures."""
    runs = [run for run in (load(path) for path in paths.split(",")) if run]
    if not runs:
        return {}
    merged = runs[0]
    for run in runs[1:]:
        merged = best(merged, run)
    if "blas" in merged:
        merged["blas"]["sgemm_ok"] = merged["blas"]["sgemm_gflops"] >= merged["blas"]["min_sgemm_gflops"]
    return merged


def describe_peer(blas):
    """One line on the peer, and whether its ratios may be printed."""
    if not blas:
        print("peer: none (no PyTorch peer ran; see the messages above)")
        return False
    libraries = ", ".join(blas.get("blas_libraries") or ["no BLAS library mapped"])
    core = f", OpenBLAS core {blas['openblas_core']}" if blas.get("openblas_core") else ""
    if blas.get("dropped_openblas_coretype"):
        core += f" (its own choice: the environment's OPENBLAS_CORETYPE={blas['dropped_openblas_coretype']} was dropped)"
    print(f"peer: PyTorch {blas['torch']}, {blas['threads']} threads, {blas['blas_info']}, BLAS {libraries}{core}, "
          f"OMP_WAIT_POLICY={blas.get('omp_wait_policy')}; sgemm {blas['sgemm_gflops']:.0f} GFLOP/s (1024^3, median of 10)")
    if not blas["sgemm_ok"]:
        print(f"peer's sgemm is below {blas['min_sgemm_gflops']:.0f} GFLOP/s (a reference BLAS?): no ratio is printed; "
              f"install libopenblas0-pthread (Debian) and run again")
    return blas["sgemm_ok"]


def median_and_p90(result):
    """Our median and 90th percentile in ms (JMH sample mode: the peers report medians too)."""
    metric = result["primaryMetric"]
    percentiles = metric.get("scorePercentiles", {})
    return percentiles.get("50.0", metric["score"]), percentiles.get("90.0", float("nan"))


def ratio(peer_ms, ours_ms, ok):
    return f"{peer_ms / ours_ms:.2f}x" if ok and peer_ms is not None else "-"


def kernels(device, jmh_path, attention_path, linear_path):
    results = load(jmh_path)
    attention_peer = load_peer(attention_path)
    linear_peer = load_peer(linear_path)
    blas = linear_peer.get("blas") or attention_peer.get("blas")
    print(f"device: {device}")
    ok = describe_peer(blas)
    sgemm = blas["sgemm_gflops"] if blas else None

    attention = [r for r in results if r["benchmark"].split(".")[-2] == "SlidingWindowAttentionBenchmark"]
    if attention:
        peers = attention_peer.get("peers", {})
        print()
        print(f"{'attention':<18}{'median ms':>10}{'p90':>9}{'useful GFLOP/s':>16}{'of sgemm':>10}{'vs dense':>10}{'vs banded':>11}")
        useful = None
        for r in attention:
            p = r["params"]
            seq, window, heads, dim = int(p["seqLen"]), int(p["window"]), int(p["heads"]), int(p["headDim"])
            useful = 4 * dim * (seq * window - window * (window - 1) / 2) * heads
            ms, p90 = median_and_p90(r)
            gflops = useful / ms / 1e6
            share = f"{100 * gflops / sgemm:.0f} %" if sgemm else "-"
            print(f"{r['benchmark'].split('.')[-1]:<18}{ms:>10.1f}{p90:>9.1f}{gflops:>16.2f}{share:>10}"
                  f"{ratio(peers.get('dense', {}).get('median_ms'), ms, ok):>10}{ratio(peers.get('banded', {}).get('median_ms'), ms, ok):>11}")
        for name in ("dense", "banded"):
            if name in peers and useful:
                ms = peers[name]["median_ms"]
                print(f"{'pytorch ' + name:<18}{ms:>10.1f}{'':>9}{useful / ms / 1e6:>16.2f}   (median of {peers[name]['runs']} runs)")
        print("useful FLOPs = 4·d·(L·W − W(W−1)/2) per head; 'of sgemm' = useful GFLOP/s / the peer's sgemm GFLOP/s")

    matmul = [r for r in results if r["benchmark"].split(".")[-2] == "MatrixMultiplyBenchmark"]
    if matmul:
        print()
        print(f"{'rows x in -> out':<22}{'op':>7}{'kernel':>15}{'median ms':>10}{'p90':>8}{'GFLOP/s':>9}{'torch linear':>14}{'ratio':>8}{'torch matmul':>13}{'ratio':>8}{'sgemm GFLOP/s':>15}")
        for r in matmul:
            p = r["params"]
            rows = int(p["rows"])
            inner, out = (int(n) for n in p["shape"].split("x"))
            key = f"{rows}x{inner}x{out}"
            operation = p.get("operation", "linear")
            ms, p90 = median_and_p90(r)
            linear_ms = linear_peer.get("linear", {}).get(key, {}).get("median_ms") if operation == "linear" else None
            matmul_ms = linear_peer.get("sgemm" if operation == "linear" else operation, {}).get(key, {}).get("median_ms")
            show = (lambda v: f"{v:.2f}" if v is not None else "-")
            sgemm_rate = f"{2 * rows * inner * out / matmul_ms / 1e6:.1f}" if matmul_ms else "-"
            print(f"{f'{rows} x {inner} -> {out}':<22}{operation:>7}{p.get('kernel', '-'):>15}{ms:>10.2f}{p90:>8.2f}{2 * rows * inner * out / ms / 1e6:>9.1f}"
                  f"{show(linear_ms):>14}{ratio(linear_ms, ms, ok):>8}{show(matmul_ms):>13}{ratio(matmul_ms, ms, ok):>8}{sgemm_rate:>15}")
        print("op: linear = x Wᵀ + b; dX = dY W [rows, in]; dW = dYᵀ X [out, in] (a training step's gradient products); each 2·rows·in·out FLOPs")
        print("kernel: rowBlocks = MatrixMultiply.linear / product, registerTiles = MatrixMultiply.linearTiled / productTiled (16-lane tiles), registerTiles8 = the same with lanes 8 (AVX2 tiles)")
        print("torch linear = torch.nn.functional.linear (with bias, as ours); torch matmul = the bare sgemm: x @ Wᵀ, dy @ w, dy.t() @ x")
    print("ratios = peer median / our median, measured in this run: above 1 we are faster")


def start_model_report(heading, config, ours_path, peer_path):
    """Our runs and the peer's best of a --model table, its heading and the peer's line printed; ok: ratios may be printed."""
    ours = load(ours_path)
    peer = load_peer(peer_path)
    print(f"{heading}: {config}")
    if "unsupported" in peer:
        print(f"peer: none for this config ({peer['unsupported']}): no ratio is printed")
        return ours, peer, False
    return ours, peer, describe_peer(peer.get("blas"))


def model(config, ours_path, peer_path):
    ours, peer, ok = start_model_report("model", config, ours_path, peer_path)
    if "unsupported" not in peer:
        if "model" in peer:
            print(f"peer model: {peer['model']}, eval, no_grad, fp32, batch 1")
        if "runs" in peer:
            print("peer forwards per L, warm-up + timed (ours run the same): "
                  + ", ".join(f"{L}: {warmup} + {runs}" for L, (warmup, runs) in sorted(peer["runs"].items(), key=lambda item: int(item[0]))))
    devices = sorted({d for d in ours})
    header = f"{'L':>6}{'peer tok/s':>12}"
    for d in devices:
        header += f"{d + ' tok/s':>24}{'ratio':>8}"
    print(header)
    seq_lens = sorted({int(L) for d in devices for L in ours[d]})
    for L in seq_lens:
        peer_tps = peer.get("tokens_per_s", {}).get(str(L))
        line = f"{L:>6}{(f'{peer_tps:.0f}' if peer_tps else '-'):>12}"
        for d in devices:
            run = ours[d].get(str(L))
            if run is None or "tokens_per_s" not in run:
                line += f"{(run or {}).get('error', 'not run')[:22]:>24}{'-':>8}"
                continue
            tps = run["tokens_per_s"]
            shown = f"{tps / peer_tps:.2f}x" if ok and peer_tps else "-"
            line += f"{tps:>24.0f}{shown:>8}"
        print(line)
    for d in devices:
        attention = {run.get("attention") for run in ours[d].values() if run.get("attention")}
        print(f"{d}: {', '.join(sorted(attention)) or '?'} attention; timing = the CLI's median latency over its iterations (first run excluded)")
        print(f"  tokens/s of each run (the better counts): " + "; ".join(
            f"L={L} " + " / ".join(f"{tps:.0f}" for tps in (ours[d].get(str(L)) or {}).get("runs_tokens_per_s", [])) for L in seq_lens))
        for L in seq_lens:
            run = ours[d].get(str(L)) or {}
            first, launch = run.get("first_run"), run.get("launch")
            if first and launch:
                print(f"  L={L}: compile {first['compile_ms']:.0f} ms, first run {first['first_run_ms']:.0f} ms (not timed); "
                      f"{launch['tasks']} tasks in {launch['task_graphs']} graph{'' if launch['task_graphs'] == 1 else 's'}, {launch['group_items']} work-items per group ({launch['chosen_by']}), projections: {launch.get('projection_kernel', '?')}, norms: {launch.get('norm_projection_kernel', '?')}, flash: {launch.get('flash_kernel', '?')}")
        doubled = [(L, 2 * L) for L in seq_lens if 2 * L in seq_lens]
        steps = []
        for a, b in doubled:
            ra, rb = ours[d].get(str(a)) or {}, ours[d].get(str(b)) or {}
            if "latency_ms" in ra and "latency_ms" in rb:
                steps.append(f"{a}->{b}: {rb['latency_ms']['median'] / ra['latency_ms']['median']:.2f}")
        if steps:
            print(f"  time(2L)/time(L) on {d}: " + ", ".join(steps))
    print("ratio = ours / peer tokens per second, measured in this run: above 1 we are faster")


def record(ours_path, device, seq_len, run):
    """Adds one of our runs to OURS_JSON: under the device and length L, or as the device's run (seq_len '-'). A second
    run of the same device and L keeps the faster of the two, as the peer's two runs do (see best), and lists the
    tokens/s of both in runs_tokens_per_s; a failed run stays a failure whichever run failed."""
    run = json.loads(run.strip().splitlines()[-1]) if isinstance(run, str) else run
    match = re.search(r"(\w+) attention", run.get("config", ""))
    if match:
        run["attention"] = match.group(1)
    results = load(ours_path)
    previous = results.get(device) if seq_len == "-" else results.get(device, {}).get(seq_len)
    if previous is not None and "tokens_per_s" not in previous:
        run = previous
    elif previous is not None and "tokens_per_s" in run:
        runs = previous["runs_tokens_per_s"] + [run["tokens_per_s"]]
        run = dict(previous if previous["tokens_per_s"] >= run["tokens_per_s"] else run, runs_tokens_per_s=runs)
    elif "tokens_per_s" in run:
        run["runs_tokens_per_s"] = [run["tokens_per_s"]]
    if seq_len == "-":
        results[device] = run
    else:
        results.setdefault(device, {})[seq_len] = run
    with open(ours_path, "w") as f:
        json.dump(results, f)


def record_train(ours_path, device, log_path, stderr_path, warmup_steps, tokens_per_step):
    """A scripts/run train run logged every step (log.jsonl's tokens_per_s is then that step's): the first step apart
    (it compiles the kernels), the median of the steps after the warm-up, and the launch line scripts/run printed."""
    warmup_steps = int(warmup_steps)
    with open(log_path) as f:
        steps = [line for line in (json.loads(text) for text in f if text.strip()) if "tokens_per_s" in line]
    timed = [line["tokens_per_s"] for line in steps if line["step"] > warmup_steps]
    with open(stderr_path) as f:
        launch = next((json.loads(text[len("launch: "):]) for text in f if text.startswith("launch: ")), {})
    launch = {key: value for key, value in launch.items() if key == "group_items" or key.endswith("_kernel") or key.endswith("_kernels")}
    first = steps[0]
    record(ours_path, device, "-", {"tokens_per_s": statistics.median(timed), "timed_steps": len(timed), "warmup_steps": warmup_steps,
                                    "tokens_per_step": int(tokens_per_step), "first_step_s": first["elapsed_s"],
                                    "loss": steps[-1]["loss"], "launch": launch})


def train(config, ours_path, peer_path):
    ours, peer, ok = start_model_report("training", config, ours_path, peer_path)
    if "model" in peer:
        print(f"peer model: {peer['model']}; {peer['batch']} x {peer['seq_len']} tokens a step, {peer['warmup']} warm-up + {peer['steps']} timed steps")
    peer_tps = peer.get("tokens_per_s")
    print(f"{'':<10}{'tokens/s':>10}{'ms/step':>9}{'ratio':>8}{'first step s':>14}{'tokens/step':>13}{'steps':>8}")
    if peer_tps:
        print(f"{'pytorch':<10}{peer_tps:>10.0f}{peer['median_step_ms']:>9.0f}{'':>8}{'':>14}{peer['batch'] * peer['seq_len']:>13}{peer['warmup']:>4} +{peer['steps']:>2}")
    for device, run in sorted(ours.items()):
        if "tokens_per_s" not in run:
            print(f"{device:<10}{run.get('error', 'not run'):>30}")
            continue
        tps = run["tokens_per_s"]
        shown = f"{tps / peer_tps:.2f}x" if ok and peer_tps else "-"
        print(f"{device:<10}{tps:>10.0f}{1000 * run['tokens_per_step'] / tps:>9.0f}{shown:>8}{run['first_step_s']:>14.1f}{run['tokens_per_step']:>13}"
              f"{run['warmup_steps']:>4} +{run['timed_steps']:>2}")
    for device, run in sorted(ours.items()):
        if run.get("launch"):
            print(f"  {device}: launch {json.dumps(run['launch'])}; loss at the last step {run['loss']:.4f}; tokens/s of each run (the better counts): "
                  + " / ".join(f"{tps:.0f}" for tps in run.get("runs_tokens_per_s", [])))
    print("tokens/s = tokens a step / the median step after the warm-up steps (the first step, which compiles, apart; the peer's likewise);"
          " ours apply the config's dropout, the peer none")
    print("ratio = ours / peer tokens per second, measured in this run: above 1 we are faster")


if __name__ == "__main__":
    if sys.argv[1] == "kernels":
        kernels(*sys.argv[2:6])
    elif sys.argv[1] == "model":
        model(*sys.argv[2:5])
    elif sys.argv[1] == "train":
        train(*sys.argv[2:5])
    elif sys.argv[1] == "record":
        record(*sys.argv[2:6])
    elif sys.argv[1] == "record-train":
        record_train(*sys.argv[2:8])
    else:
        raise SystemExit(f"unknown report {sys.argv[1]}")
