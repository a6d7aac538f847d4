"""Fuzzing the report renderers (PR comment, cut comment, deploy comment, untrusted-PR comment, review section,
drift report in Markdown and HTML, drift issue body) with random names and values mixing
markup payloads, mentions, control characters, odd Unicode and planted secrets. Properties:
the rendered document gains no element, HTML comment, `javascript:` link or live mention
(checked on the HTML GitHub would render), and no planted secret appears in it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import MARKUP_PIECES
from tests.security.markup import BENIGN, KNOWS_SECURE_VALUES, RENDERERS, problems
from tests.security.planted import PLANTED_FORMS, SECURE_VALUE, leaks_in

# Secrets stand as words of their own (a redactor does not cut a token out of a longer word).
words = st.one_of(MARKUP_PIECES, st.sampled_from(PLANTED_FORMS), st.text(max_size=10))
texts = st.lists(words, min_size=1, max_size=6).map(" ".join)


@given(renderer=st.sampled_from(sorted(RENDERERS)), text=texts)
def test_rendered_reports_keep_text_as_text_and_secrets_out(renderer: str, text: str) -> None:
    html, render = RENDERERS[renderer]
    rendered = render(text)
    assert problems(rendered, render(BENIGN), html=html) == [], (renderer, text)
    leaks = leaks_in({renderer: rendered})
    if renderer not in KNOWS_SECURE_VALUES:  # only a flow's redactor knows `secure:` values
        leaks = [leak for leak in leaks if not leak.endswith(SECURE_VALUE)]
    assert leaks == [], (renderer, text, leaks)
