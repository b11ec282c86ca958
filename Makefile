# The two commands of README: `make run` and `make test`. Everything is installed into .venv
# from the pinned lock file, so a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test bench lock clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Generate the sample city if missing, provision the lists, sync once, then serve the bot on :3978.
run: install
	$(BIN)/dx-sync demo
	exec $(BIN)/dx-bot serve

## Install with test extras and run the whole suite.
test: install-test
	$(BIN)/python -m pytest

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
