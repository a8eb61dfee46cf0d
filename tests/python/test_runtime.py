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
