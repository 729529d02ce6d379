#!/usr/bin/env bash
# Coverage-guided fuzzing of the model loader (OnnxModel.Load) with SharpFuzz and afl++.
#   bench/fuzz-loader.sh [MINUTES] [WORK_DIR]      (default 10 minutes in /tmp/shrink-fuzz-loader)
# Needs afl++ (Debian: apt-get install -y afl++). Seeds: tiny models written by Shrink.Fuzz and the head of
# samples/cnn_small.onnx (afl++ takes seeds up to 1 MB). Inputs that crash (an exception other than ShrinkException)
# land in WORK_DIR/findings/default/crashes and are replayed at the end; add them to tests/Shrink.Tests/Fuzz/Corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
work="${2:-/tmp/shrink-fuzz-loader}"
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 2; }

mkdir -p "$work"
# Two copies: "plain" writes the seeds and replays crashes; "bin" is instrumented (it only runs under afl-fuzz).
dotnet publish bench/Shrink.Fuzz -c Release -o "$work/plain" --nologo -v q
rm -rf "$work/bin" && cp -r "$work/plain" "$work/bin"
dotnet "$work/plain/Shrink.Fuzz.dll" instrument "$work/bin/Shrink.Core.dll" "$work/bin/OnnxSharp.dll"
rm -rf "$work/seeds"
dotnet "$work/plain/Shrink.Fuzz.dll" seeds "$work/seeds" samples/cnn_small.onnx
for f in tests/Shrink.Tests/Fuzz/Corpus/*.onnx; do [ -e "$f" ] && cp "$f" "$work/seeds/"; done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1
afl-fuzz -V "$((minutes * 60))" -i "$work/seeds" -o "$work/findings" -t 5000 -m none -- dotnet "$work/bin/Shrink.Fuzz.dll" || true

crashes=("$work"/findings/default/crashes/id:*)
if [ -e "${crashes[0]}" ]; then
  echo "${#crashes[@]} crashing input(s):"
  dotnet "$work/plain/Shrink.Fuzz.dll" run "${crashes[@]}" || true
else
  echo "no crashes"
fi
grep -E "execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|edges_found" "$work/findings/default/fuzzer_stats" || true
