# One command each: `make run` starts the assistant, `make test` runs every test suite.
# Targets are idempotent: environments are made once and remade only when their
# requirement files change; the model is retrained only when its training data changes.

PYTHON      ?= python3
APP_VENV    := .venv
RASA_VENV   := .venv-rasa
APP_BIN     := $(APP_VENV)/bin
RASA_BIN    := $(RASA_VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run train test test-unit test-data test-stories test-integration test-integration-production test-browser \
        run-production seed browser postgres redis train-sentiment eval-escalation eval-nlu eval-kb bench-latency bench-handoff bench-actions bench-kb bench-studio bench-channels bench-load bench-long bench-analytics kb-index clean

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed

# Rasa 3.6 declares Python <3.11; its fully pinned dependencies install with --no-deps
# and Rasa itself with --ignore-requires-python (see docs/architecture.md).
$(RASA_VENV)/.installed: requirements/rasa-lock.txt requirements/rasa-encoder.txt
	@echo "==> Creating the Rasa environment ($(RASA_VENV), about 2 minutes the first time)"
	rm -rf $(RASA_VENV)
	$(PYTHON) -m venv $(RASA_VENV)
	$(RASA_BIN)/pip install -q --no-deps -r requirements/rasa-lock.txt
	$(RASA_BIN)/pip install -q --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(RASA_BIN)/pip install -q --no-deps -r requirements/rasa-encoder.txt
	touch $@

$(APP_VENV)/.installed: pyproject.toml
	@echo "==> Creating the app environment ($(APP_VENV))"
	rm -rf $(APP_VENV)
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_BIN)/pip install -q --upgrade pip
	$(APP_BIN)/pip install -q -e '.[test]'
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it via executablePath).
browser:
	@command -v chromium >/dev/null || { echo "==> Installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL: the store tests also run against a throwaway server on loopback.
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { echo "==> Installing Debian's postgresql"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Debian's Redis: rate limits (and, in production, shared state) are tested against it.
redis:
	@command -v redis-server >/dev/null || { echo "==> Installing Debian's redis-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

train: setup
	$(APP_BIN)/assistant train

# Demo customers and orders in the default database (make run also does it once).
seed: setup
	$(APP_BIN)/assistant seed

# The demo store page can sign in its ready-made customers (see README).
run: setup
	ASSISTANT_DEMO_STORE=true $(APP_BIN)/assistant run

# PostgreSQL + Redis (started on loopback unless ASSISTANT_DATABASE_URL / ASSISTANT_REDIS_URL
# are set), 2 desk workers, 2 Rasa servers, 2 action workers: docs/deployment.md.
run-production: setup postgres redis
	$(APP_BIN)/assistant run --production

test: setup browser postgres redis kb-index test-unit test-data train test-stories test-integration \
      test-integration-production

# The slowest tests are listed after each suite: `make test` must stay under 30 minutes.
PYTEST := $(APP_BIN)/pytest -q --durations=10

test-unit:
	$(PYTEST) tests/unit

test-data:
	$(RASA_BIN)/rasa data validate --fail-on-warnings --quiet
	$(APP_BIN)/assistant kb check

test-stories: train
	$(RASA_BIN)/rasa test core --stories tests/test_stories.yml --model models/harbor.tar.gz \
	  --fail-on-prediction-errors --out results/stories --quiet
	@echo "Test stories: all predictions correct."

# Starts the real Rasa server, action server and desk once for the session; includes the
# browser test (marker `browser`).
test-integration: train
	$(PYTEST) tests/integration tests/browser

# The same suites once more on the production profile (docs/deployment.md): PostgreSQL +
# Redis + 2 desk workers + 2 Rasa servers + 2 action workers, customers spread over workers.
test-integration-production: train postgres redis
	ASSISTANT_TEST_PROFILE=production $(PYTEST) tests/integration tests/browser

# Embeds the knowledge base once (cached by content hash in var/kb-index/).
kb-index: setup
	$(APP_BIN)/assistant kb index

STACKFAQ ?= ../shared/data/stackfaq
FILLER   ?= 100000
eval-kb: setup
	$(APP_BIN)/assistant kb eval --stackfaq $(STACKFAQ) --filler $(FILLER)

bench-actions: train
	$(APP_BIN)/python -m bench.action_latency

bench-kb: setup
	$(APP_BIN)/python -m bench.kb_latency

GOEMOTIONS ?= ../shared/data/goemotions
TWEETEVAL  ?= ../shared/data/tweeteval
# Retrains the sentiment head shipped in bot/escalation/models/ (a few minutes).
train-sentiment: setup
	$(APP_BIN)/assistant escalation train --goemotions $(GOEMOTIONS) --tweeteval $(TWEETEVAL)

USS ?= ../shared/data/uss
eval-escalation: setup
	$(APP_BIN)/assistant escalation eval --goemotions $(GOEMOTIONS) --tweeteval $(TWEETEVAL)
	$(APP_BIN)/assistant escalation uss --uss $(USS)

BANKING77 ?= ../shared/data/banking77
CLINC150  ?= ../shared/data/clinc150
HWU64     ?= ../shared/data/hwu64
NLU_CONFIGS ?= config logreg
# About 30 minutes: both pipelines on our own data (5-fold CV, held-out set) and on the three
# public sets, then a whole `rasa train` from scratch. Reports in reports/nlu/.
eval-nlu: setup
	$(APP_BIN)/python -m bench.nlu_pipelines --configs $(NLU_CONFIGS) --banking77 $(BANKING77) \
	  --clinc150 $(CLINC150) --hwu64 $(HWU64)

bench-latency: train
	$(APP_BIN)/python -m bench.desk_latency

bench-handoff: train
	$(APP_BIN)/python -m bench.handoff_latency

# The studio: the inbox over 100,000 stored messages, then a whole publish after a
# one-example change with customers chatting (about 4 minutes). Reports in reports/studio/.
bench-studio: train
	$(APP_BIN)/python -m bench.studio_inbox --messages 100000
	$(APP_BIN)/python -m bench.studio_publish

# Telegram's turn (webhook to the reply at a fake Bot API) next to the widget's REST turn.
# Every profile (embedded; production with 1 and 2 desk workers and Rasa servers), about
# 4 minutes each on 2 cores; PROFILES= picks some (names in bench/load.py).
CUSTOMERS ?= 200
MESSAGES  ?= 5
bench-load: train postgres redis
	$(APP_BIN)/python -m bench.load --customers $(CUSTOMERS) --messages $(MESSAGES) \
	  $(if $(PROFILES),--profiles "$(PROFILES)")

bench-long: train
	$(APP_BIN)/python -m bench.long_conversation --turns 110

bench-channels: train
	$(APP_BIN)/python -m bench.channel_latency -n 240

# The dashboard's API over 100,000 conversations and 1,000,000 messages, on SQLite and on
# PostgreSQL (target: under 1 s): docs/analytics.md. About 15 minutes on 2 cores.
bench-analytics: setup kb-index postgres
	$(APP_BIN)/python -m bench.analytics --conversations 100000 --messages 1000000

clean:
	rm -rf models results reports var .rasa
