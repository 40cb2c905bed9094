# 江津问答: `make run` installs and serves the chat; `make test` installs and runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False
export ANONYMIZED_TELEMETRY ?= False

.PHONY: run test install openmp index lint browser bench bench-scale eval eval-squad fit reliability formats help

help:
	@echo "make run    install, build the index and serve the chat on http://127.0.0.1:7860"
	@echo "make test   install and run lint, every test and the evaluation gate"
	@echo "make bench  measure latency, cold start, build time and memory"
	@echo "make bench-scale  the same, plus HTTP req/s and answer quality, at 32, 128 and 256 passages"
	@echo "make eval   write the evaluation report to eval/report/"
	@echo "make eval-squad  measure on CMRC 2018 and DRCD validate samples (eval/report/)"
	@echo "make fit    refit the ranking and refusal models on the development data"
	@echo "make reliability  rerun the slow-client, idle-socket, replay and outage scenarios"
	@echo "make formats  ask the evaluation set of the article as .txt, web page, PDF and Word"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed openmp

# LightGBM (fitting the ranker) loads the system's OpenMP runtime; installed when missing.
openmp:
	@/sbin/ldconfig -p 2>/dev/null | grep -q libgomp.so.1 || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libgomp1 >/dev/null; }

index: install
	$(PY) -m index build

run: index
	$(PY) ui.py

# Browser tests drive Debian's Chromium with Chinese and emoji fonts, and check the page with
# axe-core from the npm registry (pinned in tests/ui/package-lock.json, installed into the
# git-ignored tests/ui/node_modules). Debian packages are installed when missing (root or sudo).
AXE := tests/ui/node_modules/axe-core/axe.min.js

browser: $(AXE)
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/noto \
	  -a -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }

$(AXE): tests/ui/package.json tests/ui/package-lock.json
	@command -v npm >/dev/null || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/ui --no-audit --no-fund --loglevel=error
	touch $@

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The reading-comprehension gate: samples of the validate half of the development sets (about
# two minutes); `make eval-squad` runs the larger samples the README reports.
SQUAD_GATE := --split validate --check --thresholds eval/thresholds-reading.toml

test: install browser lint
	$(PY) -m pytest -q
	$(PY) -m eval --check
	$(PY) -m eval --squad eval/datasets/cmrc2018_trial.json --passages 12 $(SQUAD_GATE)
	$(PY) -m eval --squad eval/datasets/drcd_dev.json --by-article --passages 4 $(SQUAD_GATE)

bench: index
	$(PY) -m eval.bench

# Builds CMRC 2018 corpora of 32, 128 and 256 passages and serves each on 127.0.0.1; ~15 minutes.
bench-scale: install
	$(PY) -m eval.bench_scale --corpus 32 128 256

eval: index
	$(PY) -m eval --baseline --report eval/report

# The validated figures in the README: 40 CMRC passages and 12 DRCD articles (about 8 minutes).
eval-squad: install
	$(PY) -m eval --squad eval/datasets/cmrc2018_trial.json --split validate --passages 40 \
	  --report eval/report/cmrc2018
	$(PY) -m eval --squad eval/datasets/drcd_dev.json --by-article --split validate --passages 12 \
	  --report eval/report/drcd

# Refit the ranker, the refusal model, the trimmer and the neighbouring-sentence choices
# (bot/model/ranker.json), about 4 minutes.
fit: install
	$(PY) -m eval.fit

# Starts real servers on 127.0.0.1 (python -m bot serve, chroma run); about four minutes.
reliability: index
	$(PY) -m bot.web.reliability

# The article as a web page, a PDF printed by Chromium and a Word file, each with its own index,
# asked the whole evaluation set; fails when one is more than a point from the .txt.
formats: install browser
	$(PY) tests/formats/compare.py
