"""Image data sets on disk: the IDX reader (MNIST, Fashion-MNIST) and `fetch`, which downloads
a data set's four IDX files and checks each against its known SHA-256.

Nothing here downloads at import or at training time: `fetch` runs only when a user asks for it
(``gananim data fetch mnist --to data/``), and tests serve files from 127.0.0.1. Arrays are
numpy; nothing here imports torch or draws pictures.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import shown
from .fileio import atomic_open

GZIP_MAGIC = b"\x1f\x8b"
# the IDX header: two zero bytes, the element type, the number of dimensions, then each size
IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
             0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
MAX_FILE = 256 * 2**20  # bytes: an IDX file (or download) larger than this is refused (MNIST's largest: 47 MB raw)
CHUNK = 2**16


class DataError(ValueError):
    """A data file that cannot be used, or a download that failed; the message is one line."""


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file (LeCun's format), gzip-compressed or raw (told by its first
    bytes). Raises DataError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_FILE else None
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file") from None
    except OSError as exc:
        raise DataError(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from None
    if raw is None:
        raise DataError(f"{shown(path)}: larger than {MAX_FILE // 2**20} MB; not an IDX file of images or labels")
    if raw[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
                raw = fh.read(MAX_FILE + 1)
        except (OSError, EOFError) as exc:
            raise DataError(f"{shown(path)}: a damaged gzip file ({exc})") from None
        if len(raw) > MAX_FILE:
            raise DataError(f"{shown(path)}: unpacks to more than {MAX_FILE // 2**20} MB")
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in IDX_TYPES or not 1 <= raw[3] <= 4:
        raise DataError(f"{shown(path)}: not an IDX file (its first bytes are {raw[:4].hex() or 'missing'}; "
                        "IDX starts with 00 00, a type byte and 1-4 dimensions)")
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{shown(path)}: truncated: its header ends early")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    want = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != want:
        what = "truncated" if len(raw) < want else "longer than its header says"
        raise DataError(f"{shown(path)}: {what}: {len(raw)} bytes for shape {shape} (expected {want})")
    return np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


def read_images_and_labels(images: str | Path, labels: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """An IDX pair: images (n, rows, cols) of unsigned bytes and labels (n,). DataError when
    either is not an IDX file of that shape or their counts differ."""
    pixels, classes = read_idx(images), read_idx(labels)
    if pixels.ndim != 3 or pixels.dtype != np.uint8:
        raise DataError(f"{shown(images)}: not images: an IDX array of shape {pixels.shape} and type {pixels.dtype} "
                        "(expected (n, rows, cols) of unsigned bytes)")
    if classes.ndim != 1:
        raise DataError(f"{shown(labels)}: not labels: an IDX array of shape {classes.shape} (expected (n,))")
    if len(classes) != len(pixels):
        raise DataError(f"{shown(labels)}: {len(classes)} labels for {len(pixels)} images in {shown(images)}")
    return pixels, classes


def unit_range(pixels: np.ndarray, top: float = 255.0) -> np.ndarray:
    """Pixels from [0, top] to [-1, 1] (float32), the range of a tanh generator's output."""
    return (np.asarray(pixels, dtype=np.float32) * np.float32(2.0 / top) - np.float32(1.0)).astype(np.float32)


@dataclass(frozen=True)
class Source:
    """Where a data set's files are published and the SHA-256 of each (the gzip files)."""

    title: str
    mirrors: tuple[str, ...]
    files: dict[str, str]  # file name -> sha256


SOURCES: dict[str, Source] = {
    "mnist": Source("MNIST (LeCun, Cortes and Burges)", (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ), {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }),
    "fashion-mnist": Source("Fashion-MNIST (Xiao, Rasul and Vollgraf 2017)", (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ), {
        "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    }),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, path: Path, sha256: str, timeout: float) -> None:
    """Stream `url` into a temporary sibling of `path`, renamed onto it only when complete and
    its SHA-256 is `sha256`; DataError (one line) otherwise, with nothing left under `path`."""
    digest, size = hashlib.sha256(), 0
    with atomic_open(path) as fh:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(CHUNK), b""):
                    size += len(block)
                    if size > MAX_FILE:
                        raise DataError(f"{url}: larger than {MAX_FILE // 2**20} MB; not the published file")
                    digest.update(block)
                    fh.write(block)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise DataError(f"{url}: download failed ({reason})") from None
        if digest.hexdigest() != sha256:
            raise DataError(f"{url}: SHA-256 {digest.hexdigest()} is not the published {sha256} ({size} bytes); "
                            "nothing was kept")


def fetch(name: str, to: str | Path, mirror: str | None = None, timeout: float = 60.0,
          report=None) -> list[Path]:
    """Download data set `name`'s four IDX files into folder `to` (created if needed) and check
    each against its SHA-256; a file already there with the right digest is kept. `mirror`
    (a base URL) replaces the published ones. Returns the paths; DataError (one line) on the
    first failure, with no partly written file under a final name."""
    if name not in SOURCES:
        raise DataError(f"no data set named {shown(name)} (known: {', '.join(SOURCES)})")
    source, to = SOURCES[name], Path(to)
    if to.exists() and not to.is_dir():
        raise DataError(f"{shown(to)}: not a folder")
    bases = (mirror.rstrip("/") + "/",) if mirror else source.mirrors
    paths = []
    for file, sha256 in source.files.items():
        path = to / file
        if path.is_file() and _sha256(path) == sha256:
            if report:
                report(f"{path}: already there, SHA-256 checked")
            paths.append(path)
            continue
        errors = []
        for base in bases:
            try:
                _download(base + file, path, sha256, timeout)
                break
            except DataError as exc:
                errors.append(str(exc))
        else:
            raise DataError(errors[-1] if len(errors) == 1 else f"{file}: every mirror failed; last: {errors[-1]}")
        if report:
            report(f"{path}: downloaded, SHA-256 checked")
        paths.append(path)
    return paths


def digits(classes: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels in 0..16, shipped inside
    scikit-learn: no network), as float32 in [-1, 1], with their labels; `classes` keeps only
    those digits."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.images, bunch.target.astype(np.int64)
    if classes is not None:
        keep = np.isin(labels, classes)
        images, labels = images[keep], labels[keep]
    return unit_range(images, top=16.0), labels


def idx_header(path: str | Path) -> tuple[np.dtype, tuple[int, ...]]:
    """The element type and shape an IDX file declares, from its first bytes (gzip or raw),
    without reading the rest. DataError when it is missing or not an IDX file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            opened = gzip.GzipFile(fileobj=fh) if head == GZIP_MAGIC else fh
            raw = opened.read(4 + 4 * 4)
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{shown(path)}: cannot be read ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in IDX_TYPES or not 1 <= raw[3] <= 4 \
            or len(raw) < 4 + 4 * raw[3]:
        raise DataError(f"{shown(path)}: not an IDX file (its first bytes are {raw[:4].hex() or 'missing'})")
    return IDX_TYPES[raw[2]], tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=raw[3], offset=4))
