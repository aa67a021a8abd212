# The two commands of README: `make demo` and `make test`. Each makes its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-all bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, from the CPU wheel (otherwise the deep extra pulls CUDA packages)
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,s3,postgres,ray,deep,prophet]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/forecasthub demo

test: $(STAMP)
	bash scripts/test-prereqs.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-all: $(STAMP)
	bash scripts/test-prereqs.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m ''

clean:
	rm -rf $(VENV) .forecasthub demo-output .pytest_cache
