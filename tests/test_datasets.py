"""IDX files and `gananim data fetch`: files the tests write themselves, served from 127.0.0.1
(no test uses the network)."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import struct
import threading

import numpy as np
import pytest
from click.testing import CliRunner

from gananim import datasets
from gananim.datasets import DataError, read_idx, read_images_and_labels, unit_range


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    return b"\0\0" + bytes([type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    (tmp_path / "images.idx").write_bytes(idx_bytes(images))
    (tmp_path / "labels.idx.gz").write_bytes(gzip.compress(idx_bytes(labels), mtime=0))
    return tmp_path, images, labels


def test_idx_files_read_back_raw_and_gzip(pair):
    folder, images, labels = pair
    got_images, got_labels = read_images_and_labels(folder / "images.idx", folder / "labels.idx.gz")
    assert got_images.dtype == np.uint8 and np.array_equal(got_images, images)
    assert np.array_equal(got_labels, labels)
    big_endian = np.arange(6, dtype=">i4").reshape(2, 3)  # other element types keep their values
    (folder / "ints.idx").write_bytes(idx_bytes(big_endian, 0x0C))
    assert read_idx(folder / "ints.idx").tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "not an IDX file (its first bytes are 89504e47"),
    (b"\0\0\x08", "not an IDX file"),
    (b"\0\0\x08\x03\0\0\0\x07", "truncated: its header ends early"),
    (idx_bytes(np.zeros((3, 2, 2), np.uint8))[:-1], "truncated: 27 bytes for shape (3, 2, 2) (expected 28)"),
    (idx_bytes(np.zeros((3, 2, 2), np.uint8)) + b"\0", "longer than its header says"),
    (gzip.compress(idx_bytes(np.zeros((3, 2, 2), np.uint8)))[:-12], "a damaged gzip file"),
])
def test_bad_idx_files_get_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value) and "\n" not in str(info.value)


def test_a_pair_must_be_images_and_labels_of_one_count(pair):
    folder, images, labels = pair
    with pytest.raises(DataError, match=r"labels.idx.gz: not images: an IDX array of shape \(7,\)"):
        read_images_and_labels(folder / "labels.idx.gz", folder / "labels.idx.gz")
    (folder / "six.idx").write_bytes(idx_bytes(labels[:6]))
    with pytest.raises(DataError, match="six.idx: 6 labels for 7 images"):
        read_images_and_labels(folder / "images.idx", folder / "six.idx")
    with pytest.raises(DataError, match="nothere.idx: no such file"):
        read_idx(folder / "nothere.idx")


def test_pixels_go_to_minus_one_one():
    assert unit_range(np.array([0, 51, 255], np.uint8)).tolist() == pytest.approx([-1.0, -0.6, 1.0])
    assert unit_range(np.array([0.0, 16.0]), top=16.0).dtype == np.float32


class _Server:
    """Serves `files` (name -> bytes) under /a/ and /b/ on 127.0.0.1; counts requests."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests = files, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def published(monkeypatch):
    """A data set like MNIST whose four files (small, made here) are published on 127.0.0.1."""
    rng = np.random.default_rng(1)
    contents = {name: gzip.compress(idx_bytes(rng.integers(0, 256, size=(4, 3, 3), dtype=np.uint8)), mtime=0)
                for name in datasets.SOURCES["mnist"].files}
    server = _Server({f"/a/{name}": body for name, body in contents.items()})
    source = datasets.Source("tiny", (f"{server.url}/missing/", f"{server.url}/a/"),
                             {name: hashlib.sha256(body).hexdigest() for name, body in contents.items()})
    monkeypatch.setitem(datasets.SOURCES, "tiny", source)
    yield server, contents
    server.close()


def test_fetch_downloads_checks_and_keeps_correct_files(published, tmp_path):
    server, contents = published
    paths = datasets.fetch("tiny", tmp_path / "data")
    assert [p.name for p in paths] == list(contents)
    assert all(p.read_bytes() == contents[p.name] for p in paths)
    assert sum(r.startswith("/missing/") for r in server.requests) == 4  # the first mirror 404s: the next one serves
    server.requests.clear()
    datasets.fetch("tiny", tmp_path / "data")  # already there and correct: nothing downloaded
    assert server.requests == []
    assert sorted(f.name for f in (tmp_path / "data").iterdir()) == sorted(contents)  # no temporary left


def test_a_corrupt_download_leaves_nothing_under_its_name(published, tmp_path):
    server, contents = published
    first = next(iter(contents))
    server.files[f"/a/{first}"] = contents[first][:-1] + b"x"
    with pytest.raises(DataError, match=f"{first}: SHA-256 [0-9a-f]{{64}} is not the published"):
        datasets.fetch("tiny", tmp_path / "data", mirror=f"{server.url}/a")
    assert list((tmp_path / "data").iterdir()) == []


def test_the_command_fails_in_one_line_with_status_2(published, tmp_path):
    from gananim.cli import main

    server, _ = published
    result = CliRunner().invoke(main, ["data", "fetch", "tiny", "--to", str(tmp_path / "d"), "--mirror",
                                       f"{server.url}/nowhere"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "download failed (Not Found)" in lines[0] and lines[0].startswith("gananim: error: ")
    ok = CliRunner().invoke(main, ["data", "fetch", "tiny", "--to", str(tmp_path / "d")])
    assert ok.exit_code == 0 and ok.output.count("downloaded, SHA-256 checked") == 4
    unknown = CliRunner().invoke(main, ["data", "fetch", "cifar", "--to", str(tmp_path / "d")])
    assert unknown.exit_code == 2 and "known: mnist, fashion-mnist, tiny" in unknown.output
