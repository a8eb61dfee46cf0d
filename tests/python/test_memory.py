"""Sampling holds only the requested frames: a long video costs what a short one does."""

import subprocess
import sys

PROBE = """
import resource, sys
import dfd
frames = dfd.VideoReader(sys.argv[1]).sample(32)
assert frames.shape[0] == 32
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_video(path, seconds):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=640x480:rate=25:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "250", str(path)], check=True)


def peak_rss_kib(path):
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_long_video_costs_no_more_memory(tmp_path):
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    make_video(short, 10)
    make_video(long, 240)  # 6000 frames: 24x longer
    short_rss, long_rss = peak_rss_kib(short), peak_rss_kib(long)
    # Decoding all 6000 frames would need 5.5 GB as RGB; the frame index costs 16 bytes a frame.
    assert long_rss - short_rss < 16 * 1024, (short_rss, long_rss)
