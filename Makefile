# Two commands set everything up on a fresh machine (Python >= 3.11 with venv):
#   make run    install into .venv and open the app
#   make test   install into .venv (with the test and onnx extras) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test install benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned to 2.13.0 in pyproject.toml: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test,onnx]"  # onnx: the ONNX export tests run, not skip
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/maml-gui

test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

benchmark: install
	$(BIN)/python benchmarks/meta_train_speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
