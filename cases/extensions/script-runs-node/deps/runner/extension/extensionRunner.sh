#!/bin/bash
# Starts the case's extension, after running node once from this script: FunctionGraph documents
# the runtimes' node binaries (under /opt/function/runtime) for extension scripts; here node is
# the one on PATH, else the runtime's own. Its answer goes to the extension through the
# environment. The script's file name goes along: it is the name the extension registers with.
dir="$(cd "$(dirname "$0")" && pwd)"
node_bin="$(command -v node)"
if [ -z "$node_bin" ]; then
  for candidate in /opt/function/runtime/nodejs*/rtsp/nodejs/bin/node; do
    if [ -x "$candidate" ]; then node_bin="$candidate"; fi
  done
fi
NODE_ANSWER="$("$node_bin" -e 'process.stdout.write(String(6 * 7))')"
export NODE_ANSWER
exec "$node_bin" "$dir/runner.js" "$(basename "$0")"
