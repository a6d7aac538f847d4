"""ACM in the sandbox."""

from __future__ import annotations


def close() -> None:
    """ACM issues a requested certificate once its DNS or e-mail validation is answered, which
    nothing can do offline; the sandbox issues it a second after the request (moto: a minute)."""
    from moto import settings

    settings.ACM_VALIDATION_WAIT = 1
