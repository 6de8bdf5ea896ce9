from __future__ import annotations

import struct
import zlib

from fastapi.testclient import TestClient

from factories import person, project


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_upload_and_serve_an_image(client: TestClient, database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    r = client.post("/api/v1/blobs", content=_png(), headers=admin.headers)
    assert r.status_code == 201, r.text
    blob = r.json()
    assert blob["content_type"] == "image/png" and blob["url"] == f"/blobs/{blob['key']}"
    again = client.post("/api/v1/blobs", content=_png(), headers=admin.headers).json()
    assert again["key"] == blob["key"]  # content-addressed
    got = client.get(blob["url"], headers=ann.headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/png"
    assert got.content == _png()
    anonymous = client.get(blob["url"], follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    assert client.get("/blobs/" + "0" * 64, headers=ann.headers).status_code == 404
    assert client.get("/blobs/../../etc/passwd", headers=ann.headers).status_code == 404


def test_only_raster_images_from_managers(client: TestClient, database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    project(database, "p", members={ann: "annotator"})
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = client.post("/api/v1/blobs", content=svg, headers=admin.headers)
    assert r.status_code == 422
    assert "PNG, JPEG" in r.json()["error"]["message"]
    assert client.post("/api/v1/blobs", content=_png(), headers=ann.headers).status_code == 403
