#!/bin/bash
# Starts the case's extension, which records the invoke events its two servers receive.
# FunctionGraph starts every extension/extension*.sh of the function's code root; the work
# is done by recorder.js next to this script, on node: the one on PATH, else the runtime's own
# under /opt/function/runtime, where FunctionGraph documents it. The script's file name
# goes along: it is the name the extension registers with.
dir="$(cd "$(dirname "$0")" && pwd)"
node_bin="$(command -v node)"
if [ -z "$node_bin" ]; then
  for candidate in /opt/function/runtime/nodejs*/rtsp/nodejs/bin/node; do
    if [ -x "$candidate" ]; then node_bin="$candidate"; fi
  done
fi
exec "$node_bin" "$dir/recorder.js" "$(basename "$0")"
