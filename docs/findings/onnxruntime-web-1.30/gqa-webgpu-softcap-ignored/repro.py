"""Runs model.onnx with the onnxruntime package and prints how far Y is from the float64
expected output.
pip install onnxruntime numpy; python3 repro.py"""
import json, pathlib, sys
import numpy as np
import onnxruntime as ort

here = pathlib.Path(__file__).parent
inputs = json.loads((here / "inputs.json").read_text())
exp = json.loads((here / "expected.json").read_text())
nan = lambda d: [np.nan if x is None else float(x) for x in d]
def arr(t):
    if t["dtype"] == "float16":
        return np.array(t["data"], np.uint16).view(np.float16).reshape(t["dims"])
    kind = {"float32": np.float32, "bool": np.bool_, "int32": np.int32, "int64": np.int64}[t["dtype"]]
    return np.array(nan(t["data"]) if t["dtype"] == "float32" else t["data"], kind).reshape(t["dims"])
providers = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}[exp["ep"]]
options = ort.SessionOptions()
options.log_severity_level = 4
sess = ort.InferenceSession(str(here / "model.onnx"), options, providers=[providers])
try:
    y = sess.run([exp["output"]["name"]], {t["name"]: arr(t) for t in inputs})[0].astype(np.float64)
except Exception as e:  # the op rejected the model or its inputs
    print(f"onnxruntime {ort.__version__} {exp['op']}: threw {str(e).splitlines()[0]}")
    sys.exit(1)
o = exp["output"]
B, H, S, F, Dv = o["B"], o["H"], o["S"], o["F"], o["Dv"]
y = (y.reshape(B, H, S, F) if o["layout"] == "BHSD" else y.reshape(B, S, H, F).transpose(0, 2, 1, 3))[..., :Dv]
ref = np.array(nan(exp["out"])).reshape(B, H, S, Dv)
err = np.where(np.isfinite(ref), np.abs(np.where(np.isfinite(y), y, np.inf) - np.nan_to_num(ref)), 0.0)
at = np.unravel_index(int(np.argmax(err)), err.shape)
bad = err[at] > exp["allowed"]
print(f"onnxruntime {ort.__version__} {exp['op']}: max |Y - expected| = {err[at]} "
      f"at [b,h,s,d] = {[int(i) for i in at]} (got {y[at]}, expected {ref[at]}); "
      f"allowed {exp['allowed']}: {'MISMATCH' if bad else 'ok'}")
sys.exit(1 if bad else 0)
