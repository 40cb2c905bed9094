"""The deployer's profile: what the bot is called, what it says about itself, and the wording
its users may use for the documents' own terms. One TOML file beside the documents
(`docs/profile.toml`, or JJQA_PROFILE), edited by whoever runs the bot; every channel reads it.

    name = "某区问答"
    description = "只依据某区政府发布的文章回答，并标出原文出处。"
    examples = ["2019年GDP是多少？", "今年的重点工程有哪些？"]
    welcome = "欢迎关注……"                # optional: built from the above when missing
    [synonyms]                            # a user's word (a whole word) -> the documents' word
    "医保" = "医疗保险"
    [glossary]                            # an English word -> the documents' word
    "insurance" = "保险"

Nothing here is required: without a file the bot calls itself 「文档问答」 and describes its
documents by their titles.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

DEFAULT_NAME = "文档问答"
FIELDS = {"name", "description", "examples", "welcome", "synonyms", "glossary"}


@dataclass(frozen=True)
class Profile:
    """Who the bot is to its users, and the users' words for the documents' terms."""

    name: str = DEFAULT_NAME
    description: str = ""
    examples: tuple[str, ...] = ()
    welcome: str = ""
    synonyms: dict[str, str] = field(default_factory=dict)
    glossary: dict[str, str] = field(default_factory=dict)

    def welcome_text(self) -> str:
        """The greeting for a new WeChat follower: the profile's own, or one built from it."""
        if self.welcome:
            return self.welcome
        lines = [f"欢迎使用{self.name}！"]
        if self.description:
            lines.append(self.description)
        if self.examples:
            lines.append("可以这样问：")
            lines += [f"{n}. {q}" for n, q in enumerate(self.examples[:3], 1)]
        lines.append('发送"重新开始"可清空对话记录。')
        return "\n".join(lines)

    def example(self, n: int = 0, default: str = "文章的主要内容是什么？") -> str:
        """The n-th example question, or a neutral one when the profile gives none."""
        return self.examples[n] if 0 <= n < len(self.examples) else default

    def words(self) -> list[str]:
        """The wording the index must segment as whole words: both sides of each synonym and
        what glossary entries stand for."""
        return sorted(
            set(self.synonyms) | set(self.synonyms.values()) | set(self.glossary.values())
        )

    def wording_hash(self) -> str:
        """Changes when the wording changes (then the index's vocabulary is derived again)."""
        import hashlib
        import json

        raw = json.dumps([self.synonyms, self.glossary], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "examples": list(self.examples),
            "welcome": self.welcome,
            "synonyms": dict(self.synonyms),
            "glossary": dict(self.glossary),
        }

    @classmethod
    def from_dict(cls, data: dict, where: str = "profile") -> Profile:
        """A profile from parsed TOML; raises ConfigError naming the file and the bad key."""
        unknown = set(data) - FIELDS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(sorted(FIELDS))}"
            )
        for key in ("name", "description", "welcome"):
            if not isinstance(data.get(key, ""), str):
                raise ConfigError(f"{where}: {key} must be a string")
        examples = data.get("examples", [])
        if not isinstance(examples, list) or not all(
            isinstance(e, str) and e.strip() for e in examples
        ):
            raise ConfigError(f"{where}: examples must be a list of questions (strings)")
        tables = {}
        for key in ("synonyms", "glossary"):
            table = data.get(key, {})
            if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
                for k, v in table.items()
            ):
                raise ConfigError(f'{where}: [{key}] must map words to words, like "a" = "b"')
            tables[key] = {k.strip(): v.strip() for k, v in table.items()}
        return cls(
            name=data.get("name", "").strip() or DEFAULT_NAME,
            description=data.get("description", "").strip(),
            examples=tuple(e.strip() for e in examples),
            welcome=data.get("welcome", "").strip(),
            **tables,
        )


def load_profile(path: Path | None) -> Profile:
    """The profile in `path`; the default profile when the file does not exist."""
    if path is None or not Path(path).is_file():
        return Profile()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the profile {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"the profile {path} is not valid TOML: {e}") from e
    return Profile.from_dict(data, where=str(path))
