# xelatex, latexmk and poppler-utils for the PDF edition (sourced by scripts/book --pdf and by
# scripts/test; not run). Installs Debian's packages when missing and we are root with apt-get,
# as scripts/_browser.sh does for chromium. It never fails the run: without LaTeX the PDF test is
# skipped with the reason printed, unless KERNELNET_REQUIRE_PDF=1 turns the skip into a failure.
# Set KERNELNET_SKIP_LATEX_INSTALL=1 to leave the system alone.
_kernelnet_latex_packages="texlive-xetex latexmk texlive-latex-extra texlive-fonts-recommended lmodern fonts-freefont-otf poppler-utils"
if ! { command -v xelatex && command -v latexmk && command -v pdftotext; } >/dev/null 2>&1 \
   && [ "${KERNELNET_SKIP_LATEX_INSTALL:-0}" != "1" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "kernelnet: installing LaTeX for the PDF edition (apt-get install $_kernelnet_latex_packages)" >&2
    # shellcheck disable=SC2086
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $_kernelnet_latex_packages >/dev/null 2>&1 \
           || { apt-get update -q >/dev/null 2>&1 \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $_kernelnet_latex_packages >/dev/null 2>&1; }; }; then
      echo "kernelnet: could not install LaTeX; the PDF edition and its test are skipped" >&2
    fi
  else
    echo "kernelnet: no xelatex/latexmk and no root apt-get; the PDF edition is skipped" >&2
  fi
fi
unset _kernelnet_latex_packages
