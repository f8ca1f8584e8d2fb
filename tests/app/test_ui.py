"""The browser page as plain HTTP sees it: the page, and the no-JavaScript form's result page."""

from __future__ import annotations

import re

from tests.harness import png_bytes


def element_text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, f"no #{element_id} in the page"
    return match.group(1).strip()


def test_page_serves_form_canvas_and_local_assets(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<form id="upload-form" method="post" action="/" enctype="multipart/form-data">' in html
    assert 'id="canvas"' in html and 'id="prediction"' in html and 'id="confidence"' in html
    assert "http://" not in html and "https://" not in html, "every asset must be served locally"
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_form_post_renders_the_result(client, sample_digits) -> None:
    image, label = sample_digits.images[12], int(sample_digits.labels[12])
    response = client.post("/", files={"file": ("digit.png", png_bytes(image), "image/png")})
    assert response.status_code == 200
    assert element_text(response.text, "prediction") == str(label)
    assert element_text(response.text, "confidence").endswith("%")
    assert 'src="data:image/png;base64,' in response.text


def test_form_post_of_a_bad_file_shows_the_message(client) -> None:
    response = client.post("/", files={"file": ("notes.txt", b"just text", "text/plain")})
    assert response.status_code == 415
    assert "not an image this service can read" in element_text(response.text, "error")


def test_api_docs_work_offline(client) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "https://" not in html, page
        for asset in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html):
            assert client.get(asset).status_code == 200, asset


def test_the_page_says_what_is_stored(client) -> None:
    """Nothing but what a person sends as a correction, unless answers are captured: then it
    says how many and for how long."""
    page = client.get("/").text
    assert "not stored, unless you send a correction." in page
    from tests.harness import make_client

    with make_client(capture_percent=5, capture_days=7) as capturing:
        assert "5% of answered images are kept for 7 days" in capturing.get("/").text
