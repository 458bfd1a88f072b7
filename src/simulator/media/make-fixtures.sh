#!/bin/sh
# Regenerates the small media fixtures the simulator serves (run once; the outputs are committed).
# Needs ffmpeg (apt-get install -y ffmpeg). Each file stays far below 100 KB.
set -eu
cd "$(dirname "$0")"
SRC='testsrc2=size=160x120:rate=10'
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$SRC" -frames:v 1 -q:v 5 face.jpg
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=96x72:rate=1" -frames:v 1 face.png
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$SRC" -t 2 \
  -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -g 5 -crf 32 \
  -movflags +faststart -map_metadata -1 -fflags +bitexact -flags:v +bitexact face.mp4
ls -l face.jpg face.png face.mp4
