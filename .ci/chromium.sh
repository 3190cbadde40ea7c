# Sourced by .ci/run: Debian's Chromium for the browser end-to-end test
# (cmd/ituwatch/web_e2e_test.go), installed when missing (as root, or through passwordless sudo). CI runs as root,
# so the test starts it with --no-sandbox; in a container it also needs
# --disable-dev-shm-usage (a small /dev/shm), which the test passes too.
# ITUWATCH_TEST_REQUIRE_BROWSER=1 makes the test fail rather than skip
# when no browser can be found.

if [ -z "${ITUWATCH_CHROMIUM:-}" ]; then
	for name in chromium chromium-browser google-chrome; do
		if command -v "$name" >/dev/null 2>&1; then
			ITUWATCH_CHROMIUM=$(command -v "$name")
			break
		fi
	done
fi
if [ -z "${ITUWATCH_CHROMIUM:-}" ]; then
	echo "installing chromium from Debian for the browser test"
	ituwatch_sudo=
	if [ "$(id -u)" != 0 ]; then
		ituwatch_sudo="sudo -n" # CI normally runs as root; otherwise passwordless sudo
	fi
	$ituwatch_sudo apt-get update
	$ituwatch_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
	ITUWATCH_CHROMIUM=$(command -v chromium)
fi
export ITUWATCH_CHROMIUM
export ITUWATCH_TEST_REQUIRE_BROWSER=1
"$ITUWATCH_CHROMIUM" --version
