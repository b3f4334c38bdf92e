"""The MP4 read back through imageio.v3, as a viewer would decode it: the GIF's timing (held
frames included), the GIF's pictures, the same bytes for the same frames, no file left by a
failed write, and one clear line when the video extra is missing."""
import math
import sys

import numpy as np
import pytest

from gananim.renderer.animate import (VIDEO_HINT, VideoUnavailable, frame_durations, render_frames, write_gif,
                                      write_mp4)

iio = pytest.importorskip("imageio.v3")
pytest.importorskip("imageio_ffmpeg")


@pytest.fixture(scope="module")
def written(tmp_path_factory, tiny_run):
    frames = render_frames(tiny_run, dpi=40)
    durations = frame_durations(tiny_run, len(frames), {"seconds": 20})
    folder = tmp_path_factory.mktemp("video")
    write_gif(frames, folder / "a.gif", durations)
    write_mp4(frames, folder / "a.mp4", durations)
    return frames, durations, folder


def test_mp4_frames_and_duration_follow_the_gif_timing(written):
    frames, durations, folder = written
    video = iio.imread(folder / "a.mp4", index=None, plugin="FFMPEG")
    meta = iio.immeta(folder / "a.mp4", plugin="FFMPEG")
    gif_ms = [iio.immeta(folder / "a.gif", index=k, plugin="pillow")["duration"] for k in range(len(frames))]
    assert gif_ms == durations and durations[0] > durations[1] and durations[-1] > durations[-2]  # held ends
    unit = math.gcd(*durations)
    assert meta["fps"] == pytest.approx(1000 / unit)
    assert video.shape == (sum(durations) // unit, *frames[0].shape)  # each frame repeated for its time
    assert len(video) / meta["fps"] == pytest.approx(sum(durations) / 1000)


def test_mp4_frames_show_the_gif_frame_of_their_time(written):
    frames, durations, folder = written
    video = iio.imread(folder / "a.mp4", index=None, plugin="FFMPEG").astype(float)
    gif = iio.imread(folder / "a.gif", index=None, plugin="pillow", mode="RGB").astype(float)
    assert gif.shape == (len(frames), *frames[0].shape)
    first = np.abs(video[0] - gif[0]).mean()
    assert first < 6  # of 255: H.264 at yuv420p (colour at half resolution) against a 128-colour GIF
    unit = math.gcd(*durations)
    expected = np.repeat(np.arange(len(frames)), [d // unit for d in durations])
    error = np.abs(video[:, None] - gif[None]).mean(axis=(2, 3, 4))  # (video frame, GIF frame)
    assert (error.argmin(axis=1) == expected).all()  # a held frame stays on screen for its time, no longer


def test_mp4_is_the_same_bytes_for_the_same_frames(written, tmp_path):
    frames, durations, folder = written
    write_mp4(frames, tmp_path / "again.mp4", durations)
    assert (tmp_path / "again.mp4").read_bytes() == (folder / "a.mp4").read_bytes()


def test_failed_mp4_write_leaves_no_file(written, tmp_path):
    frames, durations, _ = written
    (tmp_path / "a.mp4").write_bytes(b"old")
    odd = list(frames[:3]) + [frames[3][:-2]]  # a frame of another size: the writer fails part way
    with pytest.raises(ValueError, match="same size"):
        write_mp4(odd, tmp_path / "a.mp4", durations[:4])
    assert (tmp_path / "a.mp4").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]  # the temporary file is gone


@pytest.mark.parametrize("module", ["imageio_ffmpeg", "imageio.v2"])
def test_missing_video_extra_names_the_extra(written, tmp_path, monkeypatch, module):
    frames, durations, _ = written
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(VideoUnavailable, match=r"pip install 'gananim\[video\]'"):
        write_mp4(frames, tmp_path / "a.mp4", durations)
    assert "gananim[video]" in VIDEO_HINT and not list(tmp_path.iterdir())
