# Shared set-up for scripts/book and scripts/test (sourced, not run).
# Creates .venv from requirements-lock.txt if missing or if the lock changed, installs kernelnet
# (editable, no extra resolution) and sets the environment every run needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${KERNELNET_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "kernelnet: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
want="$(cat requirements-lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.kernelnet-lock"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "kernelnet: installing the pinned environment (requirements-lock.txt)" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-lock.txt
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$ROOT/.numba_cache}"
export MPLBACKEND=Agg
export PYTHONHASHSEED=0
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
