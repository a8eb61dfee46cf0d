"""libdfd changes no process-wide state on its own; configure_runtime applies it when asked."""

import os
import subprocess
import sys

PROBE = """
import os, torch, dfd
torch.set_num_threads(1)                      # the host application's choice
assert dfd.runtime_params() == {"num_threads": -1, "keep_freed_memory": False, "trim_after_scan": False}
dfd.AudioSpectrogram()                        # runs on LibTorch; used to set the threads itself
assert torch.get_num_threads() == 1, torch.get_num_threads()
dfd.configure_runtime(num_threads=-1, keep_freed_memory=True, trim_after_scan=False)
assert torch.get_num_threads() == 1           # -1 leaves LibTorch's threads as they are
dfd.configure_runtime()
assert dfd.num_threads() == torch.get_num_threads() == os.cpu_count(), (dfd.num_threads(), os.cpu_count())
assert dfd.runtime_params() == {"num_threads": 0, "keep_freed_memory": True, "trim_after_scan": False}
try:
    dfd.configure_runtime(num_threads=-2)
except dfd.InvalidArgument as e:
    assert "num_threads" in str(e)
else:
    raise AssertionError("num_threads=-2 accepted")
print("ok")
"""


def test_nothing_changes_until_configure_runtime():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


HINT = """
import os, sys, warnings, torch, dfd
torch.set_num_threads(1)                      # as Debian's LibTorch starts
if sys.argv[1] == "configured":
    dfd.configure_runtime()
elif sys.argv[1] == "one_thread_asked":
    dfd.configure_runtime(num_threads=1)
spec = dfd.DetectorParams("default").models[0]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dfd.Classifier(spec)
    dfd.Detector()
    dfd.Classifier(spec)
hints = [w for w in caught if issubclass(w.category, RuntimeWarning) and "configure_runtime" in str(w.message)]
print(len(hints), hints[0].message if hints else "")
assert torch.get_num_threads() == (os.cpu_count() if sys.argv[1] == "configured" else 1)  # the hint changes nothing
"""


def test_a_model_built_on_one_thread_of_several_says_so_once():
    """A notebook that never calls configure_runtime learns why its models run slowly, once per
    process; a configured runtime, or one thread asked for, hears nothing."""
    def hints(case):
        out = subprocess.run([sys.executable, "-c", HINT, case], capture_output=True, text=True, env=dict(os.environ))
        assert out.returncode == 0, out.stderr
        return out.stdout

    several = (os.cpu_count() or 1) > 1
    said = hints("unconfigured")
    assert said.startswith("1 ") if several else said.startswith("0 "), said
    if several:
        assert f"1 thread of the {os.cpu_count()}" in said and "dfd.configure_runtime()" in said
    assert hints("configured").startswith("0 ")
    assert hints("one_thread_asked").startswith("0 ")
