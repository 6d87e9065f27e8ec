"""One settings object for the desk, the action server and the tools.

Values come from, in order of precedence: environment variables prefixed `ASSISTANT_`,
then `settings.yml` in the working directory (optional), then the defaults below.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", yaml_file="settings.yml", extra="ignore")

    database_url: str = "sqlite:///var/desk.db"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = Field(30.0, gt=0)
    max_message_chars: int = Field(4000, gt=0)
    desk_host: str = "127.0.0.1"
    desk_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055

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
