"""The quality gate: overall metrics compared with the minimums and maximums in a TOML file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.errors import JJQAError
from eval.metrics import LABELS

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


class ThresholdsError(JJQAError):
    """The thresholds file cannot be read or names a metric the suite does not report."""


def load_thresholds(
    path: str | Path = DEFAULT_THRESHOLDS, known: dict[str, str] = LABELS
) -> dict[str, dict[str, float]]:
    """{"min": {metric: value}, "max": {metric: value}} from a TOML file with those tables;
    `known` names the metrics the suite reports."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ThresholdsError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ThresholdsError(f"{path}: cannot read it ({e})") from e
    unknown = set(data) - {"min", "max"}
    if unknown:
        raise ThresholdsError(f"{path}: unknown table(s) {sorted(unknown)}; use [min] and [max]")
    limits = {"min": dict(data.get("min", {})), "max": dict(data.get("max", {}))}
    for table in limits.values():
        for name, value in table.items():
            if name not in known:
                raise ThresholdsError(
                    f"{path}: unknown metric {name!r}; choose one of {', '.join(known)}"
                )
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ThresholdsError(f"{path}: {name} must be a number, not {value!r}")
    return limits


def check(metrics: dict, limits: dict[str, dict[str, float]]) -> list[str]:
    """One line for every metric outside its limit, or not measured at all; empty means pass."""
    failures = []
    for bound, table in (("min", limits["min"]), ("max", limits["max"])):
        for name, limit in table.items():
            value = metrics.get(name)
            if value is None:
                failures.append(f"{name}: not measured on this set (needs {bound} {limit})")
            elif bound == "min" and value < limit:
                failures.append(f"{name}: {value:.4g} is below the minimum {limit}")
            elif bound == "max" and value > limit:
                failures.append(f"{name}: {value:.4g} is above the maximum {limit}")
    return failures
