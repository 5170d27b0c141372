#!/usr/bin/env python3
"""A faultline detector plugin in plain Python (no packages): the subprocess protocol, version 2.

faultline starts this program once per run and talks JSON lines over stdin/stdout (docs/plugins.md):
  in : {"type":"hello","protocol":1,"protocols":[1,2],"options":{...}}
  out: {"type":"ready","name":"py-zscore","protocol":2}
  then for each series, one after another:
  in : {"type":"fit","series":S}      out: {"type":"fitted","id":S.id}       (when S has training points)
  in : {"type":"detect","series":S}   out: {"type":"detection","id":S.id,"scores":[...],"alarms":[...],"threshold":t}
S = {"id", "kpi"?, "timestamps": [unix ms], "values": [number|null], "volume"?: [...]}.
On a problem reply {"type":"error","message":"..."}. stdin closing means: exit.
`--protocol 1` answers with version 1 instead (one process per series), as older plugins do.

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


def fit(values, options):
    xs = finite(values)
    if len(xs) < 2:
        return None
    mean = sum(xs) / len(xs)
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) or 1e-9
    worst = max(abs(x - mean) / std for x in xs)
    threshold = max(float(options.get("k", 3.0)), worst * float(options.get("margin", 1.0)))
    return mean, std, threshold


def detect(values, model):
    mean, std, threshold = model
    scores, alarms = [], []
    for v in values:
        if v is None:
            scores.append(None)
            alarms.append(0)
        else:
            s = abs(v - mean) / std
            scores.append(s)
            alarms.append(1 if s > threshold else 0)
    return scores, alarms, threshold


def main():
    wanted = int(sys.argv[sys.argv.index("--protocol") + 1]) if "--protocol" in sys.argv else 2
    options = {}
    models = {}  # series id -> (mean, std, threshold), from its fit until its detect
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "hello":
            if wanted not in msg.get("protocols", [msg.get("protocol")]):
                send({"type": "error", "message": "this plugin speaks protocol %d" % wanted})
                return
            options = msg.get("options") or {}
            send({"type": "ready", "name": "py-zscore", "protocol": wanted})
        elif kind == "fit":
            series = msg["series"]
            model = fit(series["values"], options)
            if model is None:
                send({"type": "error", "message": "series %s: fit needs at least 2 finite values" % series["id"]})
                return
            models[series["id"]] = model
            send({"type": "fitted", "id": series["id"]})
        elif kind == "detect":
            series = msg["series"]
            model = models.pop(series["id"], None)  # detect ends the series: forget it
            if model is None:
                send({"type": "error", "message": "series %s: detect before fit: this detector needs training data" % series["id"]})
                return
            scores, alarms, threshold = detect(series["values"], model)
            send({"type": "detection", "id": series["id"], "scores": scores, "alarms": alarms, "threshold": threshold})
        else:
            send({"type": "error", "message": "unknown message type %r" % kind})
            return


if __name__ == "__main__":
    main()
