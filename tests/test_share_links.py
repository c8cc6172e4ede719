"""Making a link from the dashboard on screen and opening it as a colleague's viewer does: the same
dashboard back, links of this deployment only, one message for every link that is no longer valid,
and the passcode's attempts counted down."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from b12core.figures import patient_figure
from b12core.share import dashboard_snapshot
from b12core.share_links import (
    INVALID,
    NOT_A_LINK,
    NOT_HERE,
    LinkRefused,
    create_link,
    needs_passcode,
    open_link,
    propose_label,
)
from b12core.share_routes import manifest_url
from b12core.share_store import ShareStore
from b12core.shl import parse_shlink, payload_key, shlink
from b12core.summary import follow_up
from b12core.workspace import Choices, build_workspace, patient_view, read_files
from tests.test_share_dashboard import AS_OF, DOSES_CSV, LABS_CSV, PLAN, SETTINGS

BASE = "https://b12.clinic.example"
NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def bundle() -> dict:
    files = [("cumulative export.csv", LABS_CSV.encode()), ("injections.csv", DOSES_CSV.encode())]
    view = patient_view(build_workspace(read_files(files), Choices(), "2026-01-01"), "A-17", PLAN, AS_OF, "female")
    return dashboard_snapshot(view, PLAN, "female", SETTINGS)


@pytest.fixture
def store(tmp_path) -> ShareStore:
    return ShareStore(f"sqlite:///{tmp_path / 'links.sqlite3'}")


def _fragment(url: str) -> str:
    return url.split("#", 1)[1]


def test_a_link_opens_to_the_dashboard_its_creator_saw(store, bundle):
    made = create_link(store, bundle, base_url=BASE, label="Hb and B12 since loading", days=14, owner="me", now=NOW)
    assert made.viewer_url.startswith(f"{BASE}/view#shlink:/")
    payload = parse_shlink(made.viewer_url)
    assert payload["url"].startswith(f"{BASE}/shl/m/") and payload["label"] == "Hb and B12 since loading"
    assert payload["exp"] == int((NOW + dt.timedelta(days=14)).timestamp()) and payload["flag"] == ""
    opened = open_link(store, _fragment(made.viewer_url), base_url=BASE, recipient="Dr Ade, haematology", now=NOW)
    assert opened.label == "Hb and B12 since loading" and not opened.de_identified
    assert opened.expires_at == NOW + dt.timedelta(days=14)
    shared = opened.dashboard
    assert shared.patient_id == "A-17"
    assert follow_up(shared.view, shared.settings).markers["Latest"].tolist() == ["11.8", "101", "612"]
    assert json.loads(patient_figure(shared.view, shared.settings, shared.sex).to_json())["data"]
    log = store.access_log("me")
    assert [(r.outcome, r.recipient) for r in log] == [("opened", "Dr Ade, haematology")]
    assert store.links_of("me")[0].uses == 1


def test_the_viewer_opens_links_of_this_deployment_only(store, bundle):
    made = create_link(store, bundle, base_url=BASE, label="x", days=1, owner="me", now=NOW)
    for elsewhere in ("https://other.example", "http://b12.clinic.example", "https://b12.clinic.example.evil.test"):
        with pytest.raises(LinkRefused, match=NOT_HERE):
            open_link(store, _fragment(made.viewer_url), base_url=elsewhere, recipient="r", now=NOW)
    with pytest.raises(LinkRefused, match=NOT_A_LINK):
        open_link(store, "", base_url=BASE, recipient="r", now=NOW)


def test_revoked_expired_and_unknown_links_get_one_message(store, bundle):
    revoked = create_link(store, bundle, base_url=BASE, label="x", days=14, owner="me", now=NOW)
    assert store.revoke_with_token(revoked.revoke_url.split("#revoke:", 1)[1])
    expiring = create_link(store, bundle, base_url=BASE, label="x", days=1, owner="me", now=NOW)
    good = parse_shlink(create_link(store, bundle, base_url=BASE, label="x", days=14, owner="me", now=NOW).viewer_url)
    # a well-formed link of this server whose id it never made
    unknown = shlink(manifest_url(BASE, "A" * 43), payload_key(good), exp=good["exp"], flags="", label="x")
    later = NOW + dt.timedelta(days=2)
    messages = set()
    for fragment in (_fragment(revoked.viewer_url), _fragment(expiring.viewer_url), unknown):
        with pytest.raises(LinkRefused) as refused:
            open_link(store, fragment, base_url=BASE, recipient="r", now=later)
        messages.add(str(refused.value))
    assert messages == {INVALID}


def test_a_passcode_link_counts_wrong_passcodes_down(store, bundle):
    made = create_link(store, bundle, base_url=BASE, label="x", days=14, owner="me", passcode="plum-42", now=NOW)
    fragment = _fragment(made.viewer_url)
    assert needs_passcode(fragment) and made.flags == "P"
    with pytest.raises(LinkRefused, match="4 attempts left") as refused:
        open_link(store, fragment, base_url=BASE, recipient="r", passcode="plum-41", now=NOW)
    assert refused.value.remaining_attempts == 4
    assert open_link(store, fragment, base_url=BASE, recipient="r", passcode="plum-42", now=NOW).label == "x"


def test_the_proposed_label_names_no_one_and_no_day():
    assert propose_label() == "B12 follow-up results"  # a real day beside moved dates would tell the shift


@pytest.mark.parametrize("change", [{"key": "QQ"}, {"key": "é" * 43}, {"exp": "soon"}, {"exp": 10 ** 15},
                                    {"exp": True}, {"label": 5}, {"flag": ["P"]}])
def test_a_tampered_link_is_refused_before_the_server_is_asked(store, bundle, change):
    made = create_link(store, bundle, base_url=BASE, label="x", days=14, owner="me", now=NOW)
    payload = {**parse_shlink(made.viewer_url), **change}
    tampered = "shlink:/" + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(LinkRefused, match=NOT_A_LINK):
        open_link(store, tampered, base_url=BASE, recipient="r", now=NOW)
    assert store.links_of("me", now=NOW)[0].uses == 0
