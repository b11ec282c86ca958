# The two commands of README: `make run` and `make test`. Everything is installed into .venv
# from the pinned lock files, so a fresh clone needs python3 (>= 3.11) and make, and for the
# tests node/npm (the Agents Playground end-to-end test) and Debian's Chromium with a Japanese
# font, which `make test` installs with apt-get when they are missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint install install-test bench lock clean playground cards

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

# Microsoft 365 Agents Playground (npm, pinned by playground/package-lock.json): the end-to-end
# test drives the bot through it, and README shows how to chat with the bot in it.
playground/node_modules/.installed: playground/package.json playground/package-lock.json
	npm ci --prefix playground --no-audit --no-fund --loglevel=error
	touch $@

# The official Adaptive Cards templating and parser (npm, pinned by its package-lock.json): the
# card tests fill every template with it and parse the result as a client would.
tests/cards/js/node_modules/.installed: tests/cards/js/package.json tests/cards/js/package-lock.json
	npm ci --prefix tests/cards/js --no-audit --no-fund --loglevel=error
	touch $@

# Microsoft's app manifest package (npm, pinned by its package-lock.json): its bundled JSON schemas
# validate the Teams app package offline. It needs fs-extra beside it, which it does not declare.
tests/teams_app/js/node_modules/.installed: tests/teams_app/js/package.json tests/teams_app/js/package-lock.json
	npm ci --prefix tests/teams_app/js --no-audit --no-fund --loglevel=error
	touch $@

# Azurite, Microsoft's Azure Storage emulator (npm, pinned by its package-lock.json): the shared
# state's tests run against it on 127.0.0.1.
tests/azurite/node_modules/.installed: tests/azurite/package.json tests/azurite/package-lock.json
	npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error
	touch $@

# A real browser, Debian's Chromium, and a Japanese font for it (IPA Gothic): the HTML report
# is checked as a manager opens it.
BROWSER_PACKAGES := chromium fonts-ipafont-gothic
$(VENV)/.chromium: $(VENV)/.installed
	dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
	  || (apt-get update && apt-get install -y --no-install-recommends $(BROWSER_PACKAGES))
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test playground/node_modules/.installed tests/cards/js/node_modules/.installed \
	tests/teams_app/js/node_modules/.installed tests/azurite/node_modules/.installed $(VENV)/.chromium

## Generate the sample city if missing, provision the lists, sync once, load the sample FAQ into an
## empty FAQ list, then serve the bot on :3978.
run: install
	$(BIN)/dx-sync demo
	$(BIN)/dx-bot faq seed
	exec $(BIN)/dx-bot serve

## Install with test extras, lint and type-check, and run the whole suite.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

## Every card the bot sends, in Japanese and English, rendered by the official renderer in Chromium
## to var/cards/*.png (var/cards/index.html shows them all), for a person to look at.
CARDS_OUT ?= var/cards
cards: install-test
	$(BIN)/python -m tests.cards.snapshots $(CARDS_OUT)

## Lint and import order (ruff) and types (mypy), both configured in pyproject.toml;
## `ruff check --fix .` fixes most lint findings.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

## Chat with the bot in Microsoft 365 Agents Playground (run `make run` in another terminal first).
playground: playground/node_modules/.installed
	TEAMSAPPTESTER_BROWSER=none playground/node_modules/.bin/agentsplayground \
	  -e http://127.0.0.1:3978/api/messages -c msteams --dt

bench: install-test
	$(BIN)/python -m benchmarks

## Re-resolve the pins (needs the package registry).
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[test]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) var
