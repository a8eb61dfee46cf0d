#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) in _build_fuzz/ and runs each for SECONDS
# (default 60), two at a time, from seed inputs made here (ffmpeg's test sources, a small
# safetensors file, CSV lines). A crash, a sanitizer report, a leak or a time-out (-timeout) fails
# the run and leaves the input as _build_fuzz/artifacts/<fuzzer>/crash-*; rerun one with
#   _build_fuzz/fuzz_NAME _build_fuzz/artifacts/NAME/crash-...
# For a long run, see docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
build=_build_fuzz
export CCACHE_BASEDIR="$PWD"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" >/dev/null
cmake --build "$build"

seeds="$build/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"/{video,audio,safetensors,csv,strided}
ff() { ffmpeg -v error -y "$@"; }
ff -f lavfi -i testsrc=size=64x48:rate=10 -t 1 -pix_fmt yuv420p "$seeds/video/h264.mp4"
ff -f lavfi -i testsrc=size=48x32:rate=5 -t 1 -c:v mpeg4 "$seeds/video/mpeg4.avi"
ff -f lavfi -i testsrc=size=32x24:rate=10 -t 1 -x264-params intra-refresh=1:keyint=5 -pix_fmt yuv420p "$seeds/video/intra_refresh.mp4"
ff -f lavfi -i testsrc=size=32x32:rate=5 -t 1 -c:v libvpx-vp9 "$seeds/video/vp9.webm" 2>/dev/null || true
ff -f lavfi -i testsrc=size=32x24:rate=10 -t 0.5 -vf tinterlace=interleave_top -pix_fmt yuv420p "$seeds/video/combed.mp4"
ff -f lavfi -i testsrc=size=32x24:rate=10 -t 0.5 -pix_fmt yuv420p -colorspace bt709 -color_range pc "$seeds/video/bt709_full.mp4"
ff -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.5 "$seeds/audio/pcm.wav"
ff -f lavfi -i sine=frequency=440:sample_rate=16000 -t 0.5 -c:a aac "$seeds/audio/aac.m4a"
ff -f lavfi -i sine=frequency=440:sample_rate=22050 -t 0.5 "$seeds/audio/mp3.mp3"
/usr/bin/python3 - "$seeds/safetensors/two.safetensors" <<'PY'
import json, struct, sys
header = {"__metadata__": {"arch": "x"}, "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
          "b": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]}}
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(text)) + text + bytes(range(24)))
PY
printf 'path,label\n"a,b.mp4",1\n"new\nline.mp4",0\nplain.mp4,1\n' > "$seeds/csv/labels.csv"
printf '\x02\x04\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00abcdefghijklmnop' > "$seeds/strided/view"

run() {  # name seed-dir max-len
  local name=$1 corpus="$build/corpus/$1" artifacts="$build/artifacts/$1"
  mkdir -p "$corpus" "$artifacts"
  "$build/fuzz_$name" "$corpus" "$seeds/$2" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
      -max_len="$3" -artifact_prefix="$artifacts/" -print_final_stats=1 >"$build/fuzz_$name.log" 2>&1 \
    || { echo "fuzz: fuzz_$name FAILED (log: $build/fuzz_$name.log)"; tail -40 "$build/fuzz_$name.log"; return 1; }
  echo "fuzz: fuzz_$name ok: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz_$name.log" | grep -o '[0-9]*$') runs in ${seconds} s"
}

failed=0
run csv csv 4096 & a=$!
run strided_copy strided 512 & b=$!
wait $a || failed=$((failed + 1)); wait $b || failed=$((failed + 1))
run safetensors safetensors 4096 & a=$!
run audio_probe audio 65536 & b=$!
wait $a || failed=$((failed + 1)); wait $b || failed=$((failed + 1))
run video_probe video 65536 || failed=$((failed + 1))
echo "fuzz: $((5 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
