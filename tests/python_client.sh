#!/bin/sh
# Run the Python client's pytest suite (clients/python/tests) against this
# build's zaf-broker and zaf-node. Usage: python_client.sh PYTHON SOURCE_DIR
# with ZAF_BIN_DIR and ZAF_LIB_DIR in the environment. Exits 77 (skipped)
# only when PYTHON has no pyzmq (Debian: python3-zmq).
set -eu
python=$1
source_dir=$2
if ! "$python" -c 'import zmq' 2>/dev/null; then
    echo "python_client: SKIP: $python cannot import zmq (apt-get install python3-zmq)"
    exit 77
fi
if ! "$python" -c 'import pytest' 2>/dev/null; then
    echo "python_client: $python cannot import pytest (apt-get install python3-pytest)" >&2
    exit 1
fi
cd "$source_dir/clients/python"
exec "$python" -m pytest -q -p no:cacheprovider tests
