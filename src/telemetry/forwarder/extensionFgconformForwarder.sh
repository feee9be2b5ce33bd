#!/bin/bash
# fgconform's telemetry forwarder, deployed by the harness as a dependency of a function whose
# case sets `telemetry`. FunctionGraph starts every extension/extension*.sh of a function's code
# root with bash; the work is done by forwarder.js next to this script, on the instance's node
# (first on PATH), so it runs on the Node.js release the function runs on. The script's own name
# goes along: it is the name the forwarder registers with.
exec node "$(dirname "$0")/forwarder.js" "$(basename "$0")"
