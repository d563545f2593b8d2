# Headless Chromium for tests/test_browser.py (sourced by scripts/test after _env.sh; not run).
#
# The browser test drives the system's Debian `chromium` through Playwright's Python package with
# `executable_path`, so Playwright never downloads a browser. This file only makes sure the
# `chromium` binary is there: if it is missing and we are root with apt-get, it installs it
# (`apt-get install -y chromium`). It never fails the test run: without a browser the test is
# skipped with the reason printed, unless KERNELNET_REQUIRE_BROWSER=1 turns the skip into a failure.
# Set KERNELNET_SKIP_BROWSER_INSTALL=1 to leave the system alone.
_kernelnet_find_chromium() {
  local c
  for c in "${KERNELNET_CHROMIUM:-}" chromium chromium-browser google-chrome; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
  done
  return 1
}
if ! _kernelnet_find_chromium >/dev/null && [ "${KERNELNET_SKIP_BROWSER_INSTALL:-0}" != "1" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "kernelnet: installing chromium for the browser test (apt-get install -y chromium)" >&2
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
           || { apt-get update -q >/dev/null 2>&1 \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; }; then
      echo "kernelnet: could not install chromium; tests/test_browser.py will be skipped" >&2
    fi
  else
    echo "kernelnet: no chromium and no root apt-get; tests/test_browser.py will be skipped" >&2
  fi
fi
if _kernelnet_find_chromium >/dev/null; then
  KERNELNET_CHROMIUM="$(_kernelnet_find_chromium)"
  export KERNELNET_CHROMIUM
fi
unset -f _kernelnet_find_chromium
