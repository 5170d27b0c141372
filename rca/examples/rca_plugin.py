#!/usr/bin/env python3
"""A subprocess RCA plugin: `faultline rca --algorithm 'cmd:python3 rca/examples/rca_plugin.py'`.

Speaks JSON lines on stdin/stdout (README, "RCA subprocess protocol"): answers `hello` with
`ready`, then each `rank` with a `ranking`. It ranks services by their share of failed calls
(status 2) in the incident minus their share in the baseline, then by mean duration ratio.
Standard library only.
"""
import json
import sys


def per_service(t):
    out = {}
    for i in range(t["length"]):
        s = t["strings"][t["service"][i]]
        n, err, dur = out.get(s, (0, 0, 0.0))
        out[s] = (n + 1, err + (1 if t["status"][i] == 2 else 0), dur + t["end"][i] - t["start"][i])
    return out


def rank(msg):
    now, before = per_service(msg["spans"]), per_service(msg["baseline"])
    cands = []
    for s, (n, err, dur) in now.items():
        bn, berr, bdur = before.get(s, (0, 0, 0.0))
        excess = err / n - (berr / bn if bn else 0.0)
        slow = (dur / n) / (bdur / bn) if bn and bdur > 0 else 1.0
        cands.append({"service": s, "score": excess + 0.01 * slow, "explanation": f"{err} of {n} calls failed; {slow:.2f}x slower"})
    cands.sort(key=lambda c: (-c["score"], c["service"]))
    return cands


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    if msg["type"] == "hello":
        reply = {"type": "ready", "name": "python-error-share"}
    elif msg["type"] == "rank":
        reply = {"type": "ranking", "candidates": rank(msg)}
    else:
        reply = {"type": "error", "message": f"unknown message type {msg['type']}"}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
