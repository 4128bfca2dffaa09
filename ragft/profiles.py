"""Profiles: one name picks every size in a notebook (``smoke`` for tests, ``default`` for a
CPU laptop, ``t4`` for a Colab GPU)."""
from __future__ import annotations

PROFILES = ("smoke", "default", "t4")


def settings_for(profile: str, table: dict[str, dict], **overrides) -> dict:
    """The settings of ``profile`` from a notebook's ``table``, with non-``None`` overrides applied.

    >>> settings_for("smoke", {"smoke": {"k": 1}, "default": {"k": 5}, "t4": {"k": 5}}, k=None)
    {'k': 1}

    Raises ``ValueError`` for an unknown profile or an override the table does not define.
    """
    if profile not in PROFILES:
        raise ValueError(f"PROFILE={profile!r} is not a profile. Use one of: {', '.join(PROFILES)}.")
    missing = [p for p in PROFILES if p not in table]
    if missing:
        raise ValueError(f"the settings table lacks the profile(s) {missing}")
    settings = dict(table[profile])
    unknown = sorted(k for k in overrides if k not in settings)
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; this notebook's settings are {sorted(settings)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings
