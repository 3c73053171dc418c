"""End to end: parameters in every style, against a candidate that reads them strictly.

tests/styles_server.py refuses a parameter sent in any other form than its `style` and
`explode` say, and accepts an invalid value only if the suite sent it valid on the wire;
the run must conform on several seeds (no valid request rejected, no invalid one accepted)
and must have sent each style.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import yaml

from tests.conftest import ROOT, run_cli
from tests.styles_server import serve_in_thread

pytestmark = pytest.mark.slow
STANDARDS = ROOT / "tests" / "data" / "styles"


@pytest.fixture
def styles_server() -> Iterator[tuple[str, list[str]]]:
    server, url, log = serve_in_thread()
    yield url, log
    server.shutdown()
    server.server_close()


def _status(url: str, accept: str = "application/json", **headers: str) -> int:
    try:
        with urlopen(Request(url, headers={"Accept": accept, **headers}), timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status)
    except HTTPError as exc:
        return exc.code


def test_the_strict_server_refuses_other_serialisations(
    styles_server: tuple[str, list[str]],
) -> None:
    """What makes the end-to-end run discriminating: the forms the suite used to send fail."""
    url, _ = styles_server
    assert _status(f"{url}/things/1,2?tags=red,blue") == 200
    assert _status(f"{url}/things/1,2?tags=red&tags=blue") == 400  # repeated keys
    assert _status(f"{url}/things/1?colors=ab%7Ccd&words=ab%20cd&range%5Bmin%5D=3") == 200
    assert _status(f"{url}/things/1?colors=ab&colors=cd") == 400
    assert _status(f"{url}/search?limit=5&color=red") == 200
    assert _status(f"{url}/search?extra=%7B%22color%22%3A%22red%22%7D") == 400  # literal object
    assert _status(f"{url}/labels/.x=1.y=2?at=a/b:c") == 200
    assert _status(f"{url}/labels/.x=1.y=2?at=a%2Fb") == 400
    assert _status(f"{url}/matrix/;ids=ab;ids=cd") == 200
    assert _status(f"{url}/matrix/ab,cd") == 400
    assert _status(f"{url}/things/1", accept="application/xml") == 406


@pytest.mark.parametrize("seed", [3, 11])
def test_every_style_is_sent_as_specified(
    tmp_path: Path, styles_server: tuple[str, list[str]], seed: int
) -> None:
    url, log = styles_server
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "tests", "system": "styles", "version": "1"},
                "base_url": url,
                "claims": [{"standard": "test.styles@1.0.0"}],
            }
        ),
        encoding="utf-8",
    )
    result = run_cli(
        "run",
        "--standards-dir",
        str(STANDARDS),
        "--standard",
        "test.styles@1.0.0",
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(tmp_path / "reports"),
        "--seed",
        str(seed),
        "--max-examples",
        "40",
    )
    (results,) = (tmp_path / "reports").glob("*/results.json")
    data = json.loads(results.read_text(encoding="utf-8"))
    bad = [
        (r["clause"], r["check"], r["target"], r["message"])
        for r in data["results"]
        if r["status"] != "pass"
    ]
    assert result.code == 0, bad
    assert not bad
    examined = {(r["check"], r["target"]): r["examined"] for r in data["results"]}
    assert examined[("accept_honoured", "GET /things/{ids}")] == 2  # json and geo+json
    assert examined[("not_acceptable", "GET /things/{ids}")] == 1
    sent = "\n".join(log)
    for form in (
        "/matrix/;ids=",  # matrix, exploded array
        "/labels/.x=",  # label, exploded object
        "%7C",  # pipeDelimited
        "%20",  # spaceDelimited
        "range%5Bm",  # deepObject
        "where=%7B%22near%22",  # content: application/json
    ):
        assert form in sent, form
    assert any(p.startswith("/things/") and "," in p.split("?")[0] for p in log)
    assert any("tags=" in p and "," in p.split("tags=")[1].split("&")[0] for p in log)
    # a free-form object's members are query keys of their own
    assert any(
        p.startswith("/search?") and any(not k.startswith("limit=") for k in p[8:].split("&"))
        for p in log
    )
