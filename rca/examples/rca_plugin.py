#!/usr/bin/env python3
"""A subprocess RCA plugin: `faultline rca --algorithm 'cmd:python3 rca/examples/rca_plugin.py'`.

Speaks protocol 2 of the JSON-lines RCA protocol (docs/plugins.md) on stdin/stdout: answers
`hello` with `ready`, `fit` with `fitted`, and each `rank` with a `ranking` carrying the incident
id. It ranks services by their share of failed calls (status 2) in the incident minus their share
in the baseline, then by mean duration ratio; when the run has logs, by the rise in each
service's share of error and fatal log lines as well. Standard library only.
"""
import json
import sys

ERROR_LEVEL = 4  # error; fatal is 5; unknown is 255


def per_service(t):
    out = {}
    for i in range(t["length"]):
        s = t["strings"][t["service"][i]]
        n, err, dur = out.get(s, (0, 0, 0.0))
        out[s] = (n + 1, err + (1 if t["status"][i] == 2 else 0), dur + t["end"][i] - t["start"][i])
    return out


def error_log_share(logs):
    """service -> share of its log lines at error or fatal level."""
    counts = {}
    for i in range(logs["length"]):
        s = logs["strings"][logs["service"][i]]
        n, bad = counts.get(s, (0, 0))
        counts[s] = (n + 1, bad + (1 if ERROR_LEVEL <= logs["level"][i] <= 5 else 0))
    return {s: bad / n for s, (n, bad) in counts.items()}


def rank(msg):
    now, before = per_service(msg["spans"]), per_service(msg["baseline"])
    logs_now = error_log_share(msg["logs"]) if "logs" in msg else {}
    logs_before = error_log_share(msg["baselineLogs"]) if "baselineLogs" in msg else {}
    cands = []
    for s, (n, err, dur) in now.items():
        bn, berr, bdur = before.get(s, (0, 0, 0.0))
        excess = err / n - (berr / bn if bn else 0.0)
        slow = (dur / n) / (bdur / bn) if bn and bdur > 0 else 1.0
        log_rise = logs_now.get(s, 0.0) - logs_before.get(s, 0.0)
        explanation = f"{err} of {n} calls failed; {slow:.2f}x slower"
        if s in logs_now:
            explanation += f"; error log share {logs_now[s]:.0%}"
        cands.append({"service": s, "score": excess + 0.01 * slow + 0.1 * log_rise, "explanation": explanation})
    cands.sort(key=lambda c: (-c["score"], c["service"]))
    return cands


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "hello":
            if 2 not in msg.get("protocols", []):
                reply = {"type": "error", "message": "this plugin speaks protocol 2"}
            else:
                reply = {"type": "ready", "name": "python-error-share", "protocol": 2}
        elif kind == "fit":
            reply = {"type": "fitted"}  # this method compares each incident with its own baseline
        elif kind == "rank":
            reply = {"type": "ranking", "id": msg["incident"]["id"], "candidates": rank(msg)}
        else:
            reply = {"type": "error", "message": f"unknown message type {kind!r}"}
        sys.stdout.write(json.dumps(reply, allow_nan=False) + "\n")
        sys.stdout.flush()
        if reply["type"] == "error":
            return


if __name__ == "__main__":
    main()
