#!/usr/bin/env python3
"""A faultline detector plugin in plain Python (no packages): the subprocess protocol, version 1.

faultline starts this program once per series and talks JSON lines over stdin/stdout:
  in : {"type":"hello","protocol":1,"options":{...}}   out: {"type":"ready","name":"py-zscore"}
  in : {"type":"fit","series":S}                        out: {"type":"fitted"}
  in : {"type":"detect","series":S}                     out: {"type":"detection","scores":[...],"alarms":[...],"threshold":t}
S = {"id", "kpi"?, "timestamps": [unix ms], "values": [number|null], "volume"?: [...]}.
On a problem reply {"type":"error","message":"..."}. stdin closing means: exit.

Method: distance from the training mean in training standard deviations; alarm above the
largest such distance seen in training times `margin` (option, default 1.0), at least `k` (3).
Run: faultline detect --series <dir> --detector 'cmd:python3 detectors/examples/zscore_detector.py'
"""
import json
import math
import sys


def send(msg):
    sys.stdout.write(json.dumps(msg, allow_nan=False) + "\n")
    sys.stdout.flush()


def finite(values):
    return [v for v in values if v is not None and math.isfinite(v)]


def main():
    options = {}
    mean, std, threshold = None, None, None
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "hello":
            if msg.get("protocol") != 1:
                send({"type": "error", "message": "only protocol 1 is supported"})
                return
            options = msg.get("options") or {}
            send({"type": "ready", "name": "py-zscore"})
        elif kind == "fit":
            xs = finite(msg["series"]["values"])
            if len(xs) < 2:
                send({"type": "error", "message": "fit needs at least 2 finite values"})
                return
            mean = sum(xs) / len(xs)
            std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) or 1e-9
            worst = max(abs(x - mean) / std for x in xs)
            threshold = max(float(options.get("k", 3.0)), worst * float(options.get("margin", 1.0)))
            send({"type": "fitted"})
        elif kind == "detect":
            if mean is None:
                send({"type": "error", "message": "detect before fit: this detector needs training data"})
                return
            scores, alarms = [], []
            for v in msg["series"]["values"]:
                if v is None:
                    scores.append(None)
                    alarms.append(0)
                else:
                    s = abs(v - mean) / std
                    scores.append(s)
                    alarms.append(1 if s > threshold else 0)
            send({"type": "detection", "scores": scores, "alarms": alarms, "threshold": threshold})
        else:
            send({"type": "error", "message": "unknown message type %r" % kind})
            return


if __name__ == "__main__":
    main()
