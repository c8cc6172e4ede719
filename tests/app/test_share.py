"""The Share page as a clinician uses it (AppTest): a link of the uploaded patient's dashboard, its
QR code and private revoke link, the session's links with their state, and revoking one."""

from __future__ import annotations

import pandas as pd

from b12core.shl import parse_shlink
from tests.app.conftest import _TableText, texts, upload
from tests.test_share_dashboard import DOSES_CSV, LABS_CSV


def links_table(at) -> pd.DataFrame:
    """The first plain table on the page (the session's links), as its cells read."""
    bodies = [h.proto.body for h in at.get("html") if "b12-plain" in h.proto.body]
    assert bodies, "no links table on the page"
    parser = _TableText()
    parser.feed(bodies[0])
    head, *rows = parser.rows
    return pd.DataFrame(rows, columns=head)


def _share_page(app):
    upload(app, contents={"cumulative export.csv": LABS_CSV.encode(), "injections.csv": DOSES_CSV.encode()})
    app.switch_page("pages/share.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_the_share_page_proposes_a_label_without_identifiers_and_says_it_travels_in_the_link(app):
    at = _share_page(app)
    label = at.text_input[0]
    assert label.label == "Label" and label.value == "B12 follow-up results"
    assert "A-17" not in label.value
    captions = " ".join(texts(at.caption))
    assert "The label travels inside the link" in captions
    assert "works for anyone who holds it" in captions  # no sign-in here: a bearer link
    assert at.number_input[0].value == 14


def test_creating_a_link_shows_it_with_a_qr_code_and_lists_it_until_revoked(app):
    at = _share_page(app)
    at.text_input[0].set_value("For Dr Ade: Hb since loading")
    at.text_input[1].set_value("plum-42")
    at.button[0].click().run()  # Create link
    assert not at.exception, [e.message for e in at.exception]
    assert any("Link created: “For Dr Ade: Hb since loading”" in s for s in texts(at.success))
    link, revoke = (c.value for c in at.code)
    payload = parse_shlink(link)
    assert payload["label"] == "For Dr Ade: Hb since loading" and payload["flag"] == "P"
    assert "/share#revoke:" in revoke
    assert len(at.get("image")) == 1  # the QR code
    table = links_table(at)
    assert table.iloc[0][["Label", "Opened", "Passcode", "State"]].tolist() == \
        ["For Dr Ade: Hb since loading", "0", "yes", "active"]
    revoke_button = next(b for b in at.button if b.label == "Revoke")
    revoke_button.click().run()
    assert links_table(at).iloc[0]["State"] == "revoked"
