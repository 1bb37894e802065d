"""What a PyTorch peer runs on: its BLAS library and measured sgemm speed, so that every ratio printed against it can
be judged (Debian's python3-torch without libopenblas0-pthread falls back to a reference BLAS ~40x slower). Imported
by the peers in this directory; `/usr/bin/python3 scripts/peers/blas_report.py` prints the report as JSON."""
import json
import os
import statistics
import time

# Before torch loads its OpenMP runtime: GNU OpenMP threads otherwise spin after each parallel region while
# OpenBLAS's own threads do the sgemm, and on 2 cores torch 1.13's linear layers run 2-3x slower (measured:
# nn.functional.linear 1024x256->768 5.8 ms spinning, 2.3 ms passive, x @ W^T alone 2.0 ms). The peer is made
# as fast as a careful user would make it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Also before torch loads OpenBLAS: an inherited OPENBLAS_CORETYPE pins OpenBLAS to one kernel family whatever the
# CPU. This machine kind's environment sets OPENBLAS_CORETYPE=Haswell, which holds OpenBLAS 0.3.21 to 256-bit AVX2 on
# an AVX-512 CPU (sgemm ~240 GFLOP/s on 2 cores; its own detection picks Cooperlake, ~430), while our kernels use
# 512-bit vectors there. The peer runs on the kernels OpenBLAS picks for this CPU; the report names the setting it
# dropped, so the choice is never silent.
DROPPED_CORETYPE = os.environ.pop("OPENBLAS_CORETYPE", None)

import ctypes  # noqa: E402

import torch  # noqa: E402

# Below this a peer's ratios would flatter us: scripts/bench prints no ratio then.
MIN_SGEMM_GFLOPS = 30.0
PEER_THREADS = 2


def _loaded_blas_libraries():
    """The BLAS/LAPACK shared objects this process has mapped (resolved through the alternatives symlinks)."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if "/" in line else ""
            name = os.path.basename(path).lower()
            if any(key in name for key in ("blas", "mkl", "lapack")):
                found.add(os.path.realpath(path))
    return sorted(found)


def _openblas_core(libraries):
    """The kernel family OpenBLAS chose (openblas_get_corename), or None without a loaded OpenBLAS."""
    for path in libraries:
        if "openblas" in os.path.basename(path).lower():
            try:
                corename = ctypes.CDLL(path).openblas_get_corename
            except (OSError, AttributeError):
                continue
            corename.restype = ctypes.c_char_p
            return corename().decode()
    return None


def _sgemm_gflops(n=1024, runs=10):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2.0 * n ** 3 / statistics.median(times) / 1e9


def report():
    """Sets the peer's thread count, then describes and measures its BLAS."""
    torch.set_num_threads(PEER_THREADS)
    gflops = _sgemm_gflops()
    config = torch.__config__.show()
    blas_info = next((part.strip().split(": ")[-1] for line in config.splitlines() for part in line.split(",") if "BLAS_INFO" in part), "BLAS_INFO=?")
    libraries = _loaded_blas_libraries()
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_info": blas_info,
        "blas_libraries": libraries,
        "openblas_core": _openblas_core(libraries),
        "dropped_openblas_coretype": DROPPED_CORETYPE,
        "sgemm_gflops": gflops,
        "sgemm_ok": gflops >= MIN_SGEMM_GFLOPS,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "min_sgemm_gflops": MIN_SGEMM_GFLOPS,
    }


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    print(json.dumps(report()))
