# Two entry points on a fresh Debian machine: `make demo` and `make test`.
# Both create .venv, install netsim into it and, when run as root, the Debian packages it needs.
# docker.io is installed with service start-up blocked (policy-rc.d exits 101): no dockerd ever
# runs in the root namespace; netsim starts its own daemons inside its namespaces.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBS := nftables iptables iproute2 containernetworking-plugins docker.io busybox-static gcc libc6-dev bird2 ipset chromium

.PHONY: demo test lint bench system clean notebooks pictures

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

system:  # installs missing Debian packages when root; says what is missing otherwise
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    made=""; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
	      chmod +x /usr/sbin/policy-rc.d; made=1; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	    rc=$$?; [ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; [ $$rc = 0 ] || exit $$rc; \
	  else echo "netsim: missing Debian packages:$$missing (sudo make system installs them)"; fi; \
	fi

demo: system $(VENV)/.installed
	@if [ "$$(id -u)" = 0 ]; then $(VENV)/bin/netsim run scenarios/bridge.yml; \
	else echo "(not root: prediction only; sudo make demo builds it for real)"; \
	  $(VENV)/bin/netsim check scenarios/bridge.yml; fi

test: system $(VENV)/.installed
	$(VENV)/bin/ruff check netsim tests bench
	$(PY) -m pytest

pictures: $(VENV)/.installed  # the README's and docs/' pictures, predicted (no root)
	for s in macvlan user-bridges overlay; do for f in png svg; do \
	  $(VENV)/bin/netsim draw scenarios/$$s.yml -o docs/$$s.$$f; done; done

bench: $(VENV)/.installed
	$(PY) bench/startup.py
	$(PY) bench/check_scale.py
	@if [ "$$(id -u)" = 0 ]; then $(PY) bench/build.py bridge 200 && $(PY) bench/build.py overlay && $(PY) bench/build.py names 50 && $(PY) bench/probe.py 50 && $(PY) bench/ceiling.py 1000; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

notebooks: $(VENV)/.installed
	$(VENV)/bin/jupyter lab notebooks/ || echo "netsim: .venv/bin/pip install jupyterlab, then make notebooks"
