"""dfd serve: its JSON API (limits, refusals, a bad file, a hostile name, expiry) and its page in a
real browser (headless Chromium driven by Selenium), which uploads a dev video and checks the
verdict, the Grad-CAM overlays and the chart. With DFD_SCREENSHOTS set (scripts/test.sh sets it
to docs/images), the page's screenshots are written there."""

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

VIDEO = "videos/celebdf_v2_tonihantschmann/fake/id16_id6_0012.mp4"  # under ../shared/data, the root


class Server:
    def __init__(self, cli, args, tmp):
        env = dict(os.environ, TMPDIR=str(tmp))  # its upload folder goes there
        self.tmp = tmp
        self.proc = subprocess.Popen([str(cli), "serve", "--port", "0", "--frames", "4", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()  # printed once the models are loaded and the port is bound
        assert "listening on" in line, self.proc.stderr.read()
        self.url = line.split("listening on ")[1].strip().rstrip("/")
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def request(self, path, data=None, headers=None, method=None):
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, path):
        status, body, _ = self.request(path)
        return status, json.loads(body)

    def post(self, fields=None, files=None):
        """multipart/form-data, made by hand (the API takes what a browser's FormData sends)."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (fields or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in (files or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        status, data, _ = self.request("/api/scan", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status, json.loads(data) if data else {}

    def wait(self, job_id, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, job = self.json(f"/api/jobs/{job_id}")
            assert status == 200
            if job["state"] == "done":
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} not done in {timeout} s")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(cli, shared, tmp_path_factory):
    s = Server(cli, ["--root", str(shared / "data"), "--queue", "1", "--max-upload-mb", "5"], tmp_path_factory.mktemp("serve"))
    yield s
    assert s.stop() == 0
    assert not list(s.tmp.glob("dfd-serve-*")), "the upload folder is removed at exit"


def test_api_scans_an_upload_and_a_path(server, shared):
    status, health = server.json("/api/health")
    assert status == 200 and health["status"] == "ok" and health["root"] and len(health["models"]) == 2
    status, job = server.post(fields={"path": VIDEO})
    assert status == 202
    done = server.wait(job["id"])
    v = done["verdict"]
    # The schema of dfd scan --jsonl: the same keys, the path as given.
    assert v["path"] == VIDEO and v["status"] == "ok" and v["label"] in ("fake", "real") and v["faces"]
    assert done["overlays"] == len(v["explanations"]) >= 1
    status, png, headers = server.request(f"/api/jobs/{job['id']}/explanations/0.png")
    assert status == 200 and headers["Content-Type"] == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n"
    status, body, headers = server.request(f"/api/jobs/{job['id']}/verdict.json")
    assert status == 200 and "attachment" in headers["Content-Disposition"] and json.loads(body) == v
    clip = (shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav").read_bytes()
    status, job = server.post(files={"file": ("fake_spk1_01.wav", clip)})
    assert status == 202
    done = server.wait(job["id"])
    assert done["verdict"]["audio_p_fake"] is not None and done["audio_strip"]
    status, png, _ = server.request(f"/api/jobs/{job['id']}/audio.png")
    assert status == 200 and png[:4] == b"\x89PNG"
    status, jobs = server.json("/api/jobs")
    assert [j["name"] for j in jobs][:1] == ["fake_spk1_01.wav"] and all("label" in j for j in jobs if j["state"] == "done")


def test_api_refusals(server, shared):
    assert server.post(fields={"path": "../labels.csv"})[0] == 403
    assert server.post(fields={"path": "/etc/passwd"})[0] == 403
    assert server.post(fields={"path": "videos/nothing_here.mp4"})[0] == 404
    assert server.post(fields={"other": "x"})[0] == 400
    status, body = server.post(files={"file": ("big.mp4", b"\0" * (6 * 1024 * 1024))})
    assert status == 413 and "5 MB" in body["error"]
    assert server.json("/api/jobs/" + "0" * 32)[0] == 404
    assert server.request("/api/nowhere")[0] == 404
    # More than the queue holds: one running, one waiting, the rest 429 — never a crash.
    clip = (shared / "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav").read_bytes()
    answers = [server.post(files={"file": (f"burst{k}.wav", clip)}) for k in range(4)]
    statuses = [s for s, _ in answers]
    assert 429 in statuses and statuses.count(202) >= 1, statuses
    assert all("queue is full" in body["error"] for s, body in answers if s == 429)
    for s, body in answers:
        if s == 202:
            assert server.wait(body["id"])["verdict"]["status"] == "ok"


def test_api_bad_file_and_hostile_name(server):
    status, job = server.post(files={"file": ("notes.mp4", b"this is not a video at all\n" * 100)})
    assert status == 202
    v = server.wait(job["id"])["verdict"]
    assert v["status"] in ("decode_error", "no_video_stream") and "notes.mp4" in v["error"] and v["p_fake"] is None
    hostile = '<img src=x onerror=alert(1)>"; rm -rf ..mp4'
    status, job = server.post(files={"file": (hostile, b"not a video\n")})
    assert status == 202
    done = server.wait(job["id"])
    assert done["name"] == hostile and done["verdict"]["path"] == hostile


def test_results_and_uploads_expire(cli, tmp_path):
    short = Server(cli, ["--keep-minutes", "0.05"], tmp_path)  # results kept 3 s
    try:
        status, job = short.post(files={"file": ("expiring.mp4", b"x" * 100)})
        assert status == 202
        short.wait(job["id"])
        uploads = next(tmp_path.glob("dfd-serve-*"))
        assert any(uploads.iterdir())  # the upload is held while its result is
        time.sleep(7)  # kept 3 s, then deleted by the worker's next check (every 3 s here) without a request
        assert not any(uploads.iterdir()), "an expired job's upload is deleted"
        assert short.json(f"/api/jobs/{job['id']}")[0] == 404
    finally:
        assert short.stop() == 0
    assert not list(tmp_path.glob("dfd-serve-*"))


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _screenshot(driver, name):
    where = os.environ.get("DFD_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(where) / name))


def test_page_in_a_browser(server, browser, shared, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def upload_and_wait(path):
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(lambda d: "model(s) loaded" in d.find_element(By.ID, "health").text)
        browser.find_element(By.ID, "picker").send_keys(str(path))
        WebDriverWait(browser, 120).until(
            lambda d: d.find_element(By.ID, "filename").text == path.name and d.find_element(By.ID, "verdict").text)

    video = tmp_path / "suspicious.mp4"
    shutil.copy(shared / "data" / VIDEO, video)
    upload_and_wait(video)
    verdict = browser.find_element(By.ID, "verdict")
    label = verdict.get_attribute("data-label")
    assert label in ("fake", "real") and label.upper() in verdict.text and "p(fake)" in verdict.text
    overlays = browser.find_elements(By.CSS_SELECTOR, "img.overlay")
    assert overlays and all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                            for img in overlays)
    assert browser.find_elements(By.CSS_SELECTOR, "#framechart circle.facepoint")
    assert "total" in browser.find_element(By.ID, "timings").text
    assert browser.find_element(By.ID, "download").get_attribute("href").endswith("/verdict.json")
    _screenshot(browser, "serve_verdict.png")
    # Past results: the upload is listed and re-opens.
    assert any(li.text.startswith("suspicious.mp4") for li in browser.find_elements(By.CSS_SELECTOR, "#jobs li"))

    # A voice: its score and the spectrogram with the windows' p(fake) beneath.
    voice = tmp_path / "voice_message.wav"
    shutil.copy(shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_02.wav", voice)
    upload_and_wait(voice)
    assert "p(fake)" in browser.find_element(By.ID, "audio").text
    assert "LUFS and levelled first" in browser.find_element(By.ID, "audio").text  # the default's AASIST-L
    assert "reported only" not in browser.find_element(By.ID, "audio").text  # alone, the sound decides
    strip = browser.find_element(By.ID, "audioimg")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", strip))
    _screenshot(browser, "serve_audio.png")
    # A video with sound: the default judges it by its faces, and the audio panel says its score is only reported.
    talking = tmp_path / "talking.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / "data" / VIDEO), "-i", str(voice),
                    "-map", "0:v", "-map", "1:a", "-t", "3", "-c:v", "copy", "-c:a", "aac", str(talking)], check=True)
    upload_and_wait(talking)
    assert "reported only" in browser.find_element(By.ID, "audio").text
    # A phone video that lost its rotation tag: its faces turned upright first, and the verdict says so.
    sideways = tmp_path / "sideways.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / "data" / VIDEO), "-t", "3",
                    "-vf", "transpose=1", "-an", "-c:v", "libx264", "-preset", "veryfast", str(sideways)], check=True)
    upload_and_wait(sideways)
    assert "turned 270° to stand the faces upright" in browser.find_element(By.ID, "verdict").text

    # A bad file: the page shows the typed error. A hostile name: shown as text, never run.
    hostile = tmp_path / "<img src=x onerror=alert(1)>.mp4"
    hostile.write_bytes(b"not a video\n" * 50)
    upload_and_wait(hostile)
    assert browser.find_element(By.ID, "verdict").get_attribute("data-label") == "error"
    assert "decode_error" in browser.find_element(By.ID, "verdict").text or "no_video_stream" in browser.find_element(By.ID, "verdict").text
    assert hostile.name in browser.find_element(By.ID, "error").text
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    _screenshot(browser, "serve_error.png")
