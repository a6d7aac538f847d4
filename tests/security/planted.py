"""Secrets planted by the security tests, and the check that none of them got out.

Each value has the shape a redactor must recognise without being told (AWS keys, GitHub,
GitLab and Slack tokens, a password in a URL), except `SECURE_VALUE`, which is only known as
the plain value of a `secure:` config entry. The values are made up; none is a live credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

SECURE_VALUE = "tok-7f3a9c1e5b2d8046-queue-admin"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "Zq9" * 12
GITLAB_TOKEN = "glpat-" + "x7Yk2" * 4
SLACK_TOKEN = "xoxb-2048-" + "a1B2c3" * 3
URL_PASSWORD = "hunter2-Correct-Horse"
DATABASE_URL = f"postgresql://admin:{URL_PASSWORD}@db.internal:5432/app"

# What must never appear in plain text (the secret part of each planted string).
LEAKS: tuple[str, ...] = (SECURE_VALUE, AWS_KEY_ID, AWS_SECRET_KEY, GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN,
                          URL_PASSWORD)

# Text a program may print next to them: labelled the way people write them.
CREDENTIAL_TEXT = (
    f"key {AWS_KEY_ID} aws_secret_access_key={AWS_SECRET_KEY} github {GITHUB_TOKEN} "
    f"gitlab {GITLAB_TOKEN} slack {SLACK_TOKEN} db {DATABASE_URL}"
)


def leaks_in(outputs: Mapping[str, str]) -> list[str]:
    """`where: secret` for every planted secret found, plain or JSON-escaped."""
    found = []
    for where, text in outputs.items():
        for secret in LEAKS:
            if secret in text or json.dumps(secret)[1:-1] in text:
                found.append(f"{where}: {secret}")
    return found

# Each secret in the form it is written in the wild (what a redactor sees), for fuzzing.
PLANTED_FORMS = (SECURE_VALUE, AWS_KEY_ID, f"aws_secret_access_key={AWS_SECRET_KEY}", GITHUB_TOKEN, GITLAB_TOKEN,
                 SLACK_TOKEN, DATABASE_URL)
