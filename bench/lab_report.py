#!/usr/bin/python3
"""lab_report: turns the runs of bench/lab.sh into a Markdown table and plots.

    /usr/bin/python3 bench/lab_report.py OUT_DIR

Reads OUT_DIR/raw.jsonl (one mbxdp-bench --json result per line, with its
server, case and round), meta.json, cpu.jsonl (the engine's CPU use, the
client's TCP retransmissions) and
engine_*.json (mbxdp-ctl stats --json) and, from lab.sh --mq,
workers_*.json (mbxdp-ctl stats --json --per-worker). Writes OUT_DIR/lab.md, latency_cdf.png and throughput.png, and
prints lab.md. A case's figures are the medians over its rounds. Exits 1
when a server answered nothing right in some case.
"""
import json
import math
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

NAMES = {
    "mbxdp": "mbxdp (AF_XDP, busy poll)",
    "mbxdp_adaptive": "mbxdp --idle adaptive",
    "libmodbus_select": "libmodbus, select()",
    "libmodbus_epoll": "libmodbus, epoll",
    "peer_epoll": "epoll C server",
    "pymodbus": "pymodbus asyncio",
    "reflector": "AF_XDP UDP reflector (floor)",
    "mbxdp_1q": "mbxdp, 1 queue, 1 worker (CPU 1)",
    "mbxdp_2q": "mbxdp, 2 queues, 2 workers (CPUs 0, 1)",
    "mbxdp_2q_adaptive": "mbxdp, 2 queues, 2 workers, --idle adaptive",
}
ORDER = list(NAMES)
# The load generator's masters: mbxdp-bench on kernel sockets, sleeping in
# epoll or busy-polling them, and its kernel-bypass master on AF_XDP.
CLIENTS = {
    "sleep": "kernel, epoll",
    "busy": "kernel, busy-poll",
    "afxdp": "AF_XDP",
}


def load(out):
    runs = [json.loads(line) for line in (out / "raw.jsonl").read_text().splitlines() if line]
    meta = json.loads((out / "meta.json").read_text())
    cpu_path = out / "cpu.jsonl"
    cpu = [json.loads(line) for line in cpu_path.read_text().splitlines() if line] \
        if cpu_path.exists() else []
    # engine_<kind>_<scope>_r<round>.json: the median over rounds of each
    # figure, keyed <kind>_<scope>.
    rounds = {}
    for p in sorted(out.glob("engine_*_r*.json")):
        key = p.stem[len("engine_"):].rsplit("_r", 1)[0]
        rounds.setdefault(key, []).append(json.loads(p.read_text())["processing_ns"])
    engine = {key: {"processing_ns": {f: statistics.median(r[f] for r in rs) for f in rs[0]}}
              for key, rs in rounds.items()}
    return runs, meta, cpu, engine


def aggregate(runs):
    """(server, conns, depth, rate, client) -> medians over the rounds, and the median
    round. client: a key of CLIENTS."""
    cases = {}
    for run in runs:
        key = (run["server"], run["connections"], run["pipeline"], run["rate"],
               run.get("client", "sleep"))
        cases.setdefault(key, []).append(run["result"])
    table = {}
    for key, results in cases.items():
        good = [r for r in results if r is not None and r["responses_ok"] > 0]
        if not good:
            table[key] = None
            continue
        by_p50 = sorted(good, key=lambda r: r["latency_ns"]["p50"])
        table[key] = {
            "p50": statistics.median(r["latency_ns"]["p50"] for r in good) / 1e3,
            "p99": statistics.median(r["latency_ns"]["p99"] for r in good) / 1e3,
            "p999": statistics.median(r["latency_ns"]["p99.9"] for r in good) / 1e3,
            "rps": statistics.median(r["throughput_rps"] for r in good),
            "errors": sum(r["errors"]["total"] for r in good),
            "rounds": len(good),
            "missing": len(results) - len(good),
            "cdf": by_p50[len(by_p50) // 2]["latency_ns"]["cdf"],
        }
    return table


def fmt(v, digits=1):
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def case_name(c, d, rate, client="sleep"):
    return f"{c} x {d}" + (f" at {rate:,}/s" if rate else "") + \
        (f", {CLIENTS[client]} client" if client != "sleep" else "")


def throughput_client(table):
    """The master the throughput figures come from: the kernel-bypass one
    where the lab ran it, since a kernel client's own ceiling is lower
    than the fastest servers'."""
    return "afxdp" if any(k[4] == "afxdp" for k in table) else "sleep"


def markdown(table, meta, cpu, engine):
    lines = []
    load_note = (f"load average {meta['loadavg_before']} before, "
                 f"{meta.get('loadavg_after', '?')} after")
    lines.append(f"Machine: {meta['cpus']} CPUs, kernel {meta['kernel']}, XDP {meta['xdp_mode']} mode; "
                 f"{meta['rounds']} round(s) of {meta['duration_s']} s per case after "
                 f"{meta['warmup_s']} s of warm-up; {load_note}. Closed loop (\"at R/s\": open "
                 f"loop at R requests/s), FC 03 of 10 registers, every answer checked; latency in "
                 f"microseconds, medians over rounds. The client is mbxdp-bench on kernel "
                 f"sockets (sleeping in epoll, or busy-polling them) or its kernel-bypass master "
                 f"on AF_XDP (the same checks, its latency taken at its rings). "
                 f"\"x mbxdp\": the server's figure divided by mbxdp's in the same case with the "
                 f"same client"
                 f"{' (with 2 queues: mbxdp with 1 worker)' if meta.get('queues') == 2 else ''}.")
    lines.append("")
    lines.append("| server | client | conns x depth | p50 | p99 | p99.9 | requests/s | errors "
                 "| p50 x mbxdp | p99.9 x mbxdp | requests/s x mbxdp |")
    lines.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    keys = sorted(table, key=lambda k: (ORDER.index(k[0]), list(CLIENTS).index(k[4]), k[3], k[1],
                                        k[2]))
    # The multi-queue case (lab.sh --mq) compares with its one worker.
    base = "mbxdp_1q" if meta.get("queues") == 2 else "mbxdp"
    for key in keys:
        server, c, d, rate, client = key
        row = table[key]
        name = NAMES[server]
        case = f"{CLIENTS[client]} | " + case_name(c, d, rate)
        if row is None:
            lines.append(f"| {name} | {case} | no answer | | | | | | | |")
            continue
        ref = table.get((base, c, d, rate, client))
        r50 = r999 = rrps = "-"
        if ref and server != base:
            r50, r999, rrps = ratio(row["p50"], ref["p50"]), ratio(row["p999"], ref["p999"]), \
                ratio(row["rps"], ref["rps"])
        lines.append(f"| {name} | {case} | {fmt(row['p50'])} | {fmt(row['p99'])} | "
                     f"{fmt(row['p999'])} | {fmt(row['rps'], 0)} | {row['errors']} | "
                     f"{r50} | {r999} | {rrps} |")
    servers = sorted({c["server"] for c in cpu if "client_retransmits" in c}, key=ORDER.index)
    if servers:
        lines.append("")
        lines.append("| server | client TCP retransmissions and loss probes, all rounds | "
                     "server waiting for a CPU, % of the time (median round) |")
        lines.append("| --- | ---: | ---: |")
        for k in servers:
            mine = [c for c in cpu if c["server"] == k and "client_retransmits" in c]
            lines.append(f"| {NAMES[k]} | {sum(c['client_retransmits'] for c in mine)} | "
                         f"{statistics.median(c['runq_wait_percent'] for c in mine):.1f} |")
        lines.append("")
        lines.append("Both over each server's closed-loop cases: retransmissions from the client "
                     "namespace's counters (nstat), waiting from the server's threads' "
                     "run-queue delay (/proc/PID/task/*/schedstat).")
    lines.append("")
    if meta.get("queues") == 2:
        lines.extend(worker_shares(meta))
    else:
        lines.extend(criteria(table, engine))
    if engine or cpu:
        lines.append("")
        lines.append("| engine (medians over rounds) | processing p50 us | p99 | p99.9 | max | "
                     "requests timed | CPU % at 1,000 requests/s | CPU % idle |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

        def cpu_of(kind, field):
            v = [c[field] for c in cpu if c["server"] == kind and field in c]
            return statistics.median(v) if v else "-"

        def order(stem):
            kind, scope = stem.rsplit("_", 1)
            return ORDER.index(kind), scope != "c1"
        for stem in sorted(engine, key=order):
            e = engine[stem]
            kind, scope = stem.rsplit("_", 1)
            p = e["processing_ns"]
            scope = "1-connection cases" if scope == "c1" else "all cases"
            lines.append(f"| {NAMES.get(kind, kind)}, {scope} | {p['p50'] / 1e3:.2f} | "
                         f"{p['p99'] / 1e3:.2f} | {p['p99.9'] / 1e3:.2f} | {p['max'] / 1e3:.1f} | "
                         f"{p['count']:,.0f} | " +
                         (f"{cpu_of(kind, 'paced_cpu_percent')} | {cpu_of(kind, 'idle_cpu_percent')} |"
                          if scope == "all cases" else " | |"))
        lines.append("")
        lines.append("Processing time (mbxdp-ctl stats): from a burst's receipt until its replies "
                     "are written, before the hand-over to the kernel; every request of a burst "
                     "counts the burst's time, so many connections (bursts of up to 64 frames) "
                     "mean longer times. CPU %: the share of one CPU the engine used while a "
                     "single client sent a request every millisecond (open loop), and with no "
                     "client at all.")
    return "\n".join(lines) + "\n"


def worker_shares(meta):
    """The multi-queue case: each 2-worker server's requests per worker,
    from the per-worker counters after its cases (medians over rounds)."""
    out = ["| server | requests per worker (worker: queue, CPU, share) |", "| --- | --- |"]
    per_kind = {}
    for p in sorted(meta["out"].glob("workers_*_r*.json")):
        kind = p.stem[len("workers_"):].rsplit("_r", 1)[0]
        per_kind.setdefault(kind, []).append(json.loads(p.read_text())["per_worker"])
    for kind in sorted(per_kind, key=ORDER.index):
        rounds = per_kind[kind]
        n = len(rounds[0])
        shares = []
        for i in range(n):
            share = statistics.median(r[i]["counters"]["mb_requests"] /
                                      max(1, sum(w["counters"]["mb_requests"] for w in r))
                                      for r in rounds)
            shares.append(f"{i}: queue {rounds[0][i]['queue']}, CPU {rounds[0][i]['cpu']}, "
                          f"{100 * share:.0f} %")
        out.append(f"| {NAMES[kind]} | {'; '.join(shares)} |")
    return out


def criteria(table, engine):
    """The lab's targets (docs/performance.md), each with its measured ratio."""
    out = ["| target | measured | met |", "| --- | --- | --- |"]

    def get(server, c, d, field, client="sleep"):
        row = table.get((server, c, d, 0, client))
        return row[field] if row else None

    def check(label, value, limit, unit=""):
        if value is None:
            out.append(f"| {label} | not measured | - |")
        else:
            out.append(f"| {label} | {value:.2f}{unit} | {'yes' if value <= limit else 'NO'} |")

    def quotient(a, b):
        return a / b if a and b else None

    for client, how in (("sleep", "sleeping client"), ("busy", "busy-polling client")):
        check(f"mbxdp p50 / libmodbus select p50 at 1 x 1, {how} <= 0.5",
              quotient(get("mbxdp", 1, 1, "p50", client),
                       get("libmodbus_select", 1, 1, "p50", client)), 0.5)
        check(f"mbxdp p99.9 / libmodbus select p99.9 at 1 x 1, {how} <= 0.3",
              quotient(get("mbxdp", 1, 1, "p999", client),
                       get("libmodbus_select", 1, 1, "p999", client)), 0.3)
        check(f"mbxdp p50 / reflector p50 at 1 x 1, {how} <= 1.2",
              quotient(get("mbxdp", 1, 1, "p50", client), get("reflector", 1, 1, "p50", client)),
              1.2)
        check(f"reflector p99.9 / libmodbus select p99.9 at 1 x 1, {how} (the floor; "
              f"<= 0.3 only where the target can be met at all)",
              quotient(get("reflector", 1, 1, "p999", client),
                       get("libmodbus_select", 1, 1, "p999", client)), 0.3)
    best = max((c for (s, c, *_) in table if s == "mbxdp"), default=None)
    tc = throughput_client(table)
    if best is not None:
        def most(server):
            return max((row["rps"] for (s, c, _, rate, client), row in table.items()
                        if s == server and c == best and not rate and client == tc and row),
                       default=None)
        for d in (1, 8):
            check(f"libmodbus select / mbxdp requests/s at {best} x {d}, {CLIENTS[tc]} client, "
                  f"<= 0.2 (mbxdp at least 5 times)",
                  quotient(get("libmodbus_select", best, d, "rps", tc),
                           get("mbxdp", best, d, "rps", tc)), 0.2)
        check(f"libmodbus select / mbxdp requests/s at {best} connections, each at its best "
              f"depth, {CLIENTS[tc]} client, <= 0.2",
              quotient(most("libmodbus_select"), most("mbxdp")), 0.2)
        check(f"libmodbus select / reflector requests/s at {best} x 1 (the floor; <= 0.2 only "
              f"where the target can be met at depth 1)",
              quotient(get("libmodbus_select", best, 1, "rps"), get("reflector", best, 1, "rps")),
              0.2)
    for stem, scope in (("mbxdp_c1", "1-connection cases"), ("mbxdp_all", "all cases")):
        e = engine.get(stem)
        check(f"in-engine processing p99.9 <= 2 us, {scope}",
              e["processing_ns"]["p99.9"] / 1e3 if e else None, 2.0, " us")
    return out


def plot_cdf(table, path):
    """One panel per closed-loop case, a line per server and master: solid
    the kernel client sleeping in epoll, dashed the AF_XDP one."""
    masters = (("sleep", "-"), ("afxdp", "--"))
    cases = {(c, d) for (_, c, d, rate, client) in table if not rate and client in dict(masters)}
    conns = sorted({c for c, _ in cases})
    depths = sorted({d for _, d in cases})
    fig, axes = plt.subplots(len(depths), len(conns), figsize=(5 * len(conns), 4 * len(depths)),
                             squeeze=False)
    for i, d in enumerate(depths):
        for j, c in enumerate(conns):
            ax = axes[i][j]
            for server in ORDER:
                for client, style in masters:
                    row = table.get((server, c, d, 0, client))
                    if not row:
                        continue
                    pts = [(ns / 1e3, pct / 100) for pct, ns in row["cdf"] if ns > 0]
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker=".",
                            color=f"C{ORDER.index(server)}",
                            label=f"{NAMES[server]}, {CLIENTS[client]} client")
            ax.set_xscale("log")
            ax.set_yscale("logit")
            ax.set_title(f"{c} connection(s), pipeline depth {d}")
            ax.set_xlabel("latency (us)")
            ax.set_ylabel("fraction of requests answered within")
            ax.grid(True, which="both", alpha=0.3)
    # Every line once in the legend, whichever panel has it.
    legend = {}
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, h)
    fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=3, fontsize="small")
    fig.suptitle("Latency CDF (closed loop, FC 03 x 10 registers, over veth; "
                 "solid: kernel client, dashed: AF_XDP client)")
    fig.tight_layout(rect=(0, 0.03 + 0.03 * math.ceil(len(legend) / 3), 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_throughput(table, path):
    """A panel per master: what the kernel client and the AF_XDP one
    measured of each server as connections grow."""
    clients = [c for c in ("sleep", "afxdp") if any(k[4] == c for k in table)]
    fig, axes = plt.subplots(1, len(clients), figsize=(8 * len(clients), 5), squeeze=False,
                             sharey=True)
    for ax, client in zip(axes[0], clients):
        for server in ORDER:
            for d, style in ((1, "-"), (8, "--")):
                pts = sorted((c, row["rps"]) for (s, c, dd, rate, cl), row in table.items()
                             if s == server and dd == d and not rate and cl == client and row)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o",
                            color=f"C{ORDER.index(server)}", label=f"{NAMES[server]}, depth {d}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_ylabel("requests/s answered right")
        ax.set_title(f"{CLIENTS[client]} client (solid: depth 1, dashed: depth 8)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="x-small")
    fig.suptitle("Throughput against connections")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    runs, meta, cpu, engine = load(out)
    meta["out"] = out
    table = aggregate(runs)
    md = markdown(table, meta, cpu, engine)
    (out / "lab.md").write_text(md)
    plot_cdf(table, out / "latency_cdf.png")
    plot_throughput(table, out / "throughput.png")
    print(md, end="")
    print(f"lab: wrote {out}/lab.md, latency_cdf.png, throughput.png")
    silent = sorted({f"{k[0]} {case_name(*k[1:])}" for k, row in table.items() if row is None})
    if silent:
        print("lab: no right answer from: " + ", ".join(silent), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
