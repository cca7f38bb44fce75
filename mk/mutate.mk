# Mutation testing as a measure: `make mutate`. Included by the Makefile (`include mk/mutate.mk`).
# The modules under mutation are ONE list, `only_mutate` in setup.cfg's [mutmut] section (mutmut reads it
# there); the fast unit tests run per mutant are `pytest_add_cli_args_test_selection` beside it.
# MUTMUT_CHILDREN: parallel mutant runs (the shared 2-core machine: keep it at 1).

MUTMUT_VERSION  ?= 3.8.1
MUTMUT_CHILDREN ?= 1

.PHONY: mutate

mutate: install  ## mutation testing (mutmut) on the modules in setup.cfg; score into benchmarks/results.json
	@$(PY) -m pip show mutmut 2>/dev/null | grep -qx "Version: $(MUTMUT_VERSION)" || \
		$(PY) -m pip install --quiet "mutmut==$(MUTMUT_VERSION)"
	rm -rf mutants  # a fresh run: mutmut 3 keeps old verdicts when only the tests changed
	$(VENV)/bin/mutmut run --max-children $(MUTMUT_CHILDREN)
	$(PY) benchmarks/mutation.py
