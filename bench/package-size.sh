#!/usr/bin/env bash
# Packs the library (Shrink) and the tool (Shrink.Cli + one Shrink.Cli.<rid> package per platform), prints each
# package's size packed and unpacked, fails if one is over nuget.org's 250 MB limit or if the library package carries
# native libraries, then installs the tool from the packages and runs `shrink inspect` on the sample model.
#   bench/package-size.sh [OUT_DIR]      (default /tmp/shrink-packages; takes a few minutes: four platform publishes)
# Results: bench/RESULTS-package.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/shrink-packages}"
rm -rf "$out" && mkdir -p "$out"

dotnet pack src/Shrink -c Release -o "$out" --nologo -v q
dotnet pack src/Shrink.Cli -c Release -o "$out" --nologo -v q

python3 - "$out" <<'PY'
import glob, os, sys, zipfile
limit = 250 * 1000 * 1000  # nuget.org refuses packages over 250 MB
failed = False
print(f"{'package':48} {'packed MB':>10} {'unpacked MB':>12} {'files':>6}")
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.nupkg"))):
    name = os.path.basename(path)
    with zipfile.ZipFile(path) as z:
        entries = z.infolist()
        unpacked = sum(e.file_size for e in entries)
        native = [e.filename for e in entries if e.filename.endswith((".so", ".dylib")) or e.filename.endswith(".dll") and "onnxruntime" in e.filename.lower()]
    size = os.path.getsize(path)
    print(f"{name:48} {size / 1e6:10.1f} {unpacked / 1e6:12.1f} {len(entries):6}")
    if size > limit:
        print(f"  FAIL: {name} is over 250 MB"); failed = True
    if name.startswith("Shrink.0") and native:
        print(f"  FAIL: the library package carries native libraries: {native[:3]}"); failed = True
sys.exit(1 if failed else 0)
PY

tools="$out/tool"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
dotnet tool install --tool-path "$tools" --add-source "$out" Shrink.Cli --version "$version"
"$tools/shrink" inspect samples/cnn_small.onnx > "$out/inspect.txt"
grep -q "421,642" "$out/inspect.txt" && echo "installed tool runs: shrink inspect samples/cnn_small.onnx OK"
