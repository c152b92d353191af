"""Headless Chromium over the DevTools protocol (``--remote-debugging-pipe``: no extra packages), to check a
static site the way a reader's browser sees it: every page loads, no image is broken, every local link
resolves; and to take screenshots."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

PAGE_STATE = """(() => ({url: location.href, title: document.title, ready: document.readyState,
  text: document.body ? document.body.innerText.length : 0,
  images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href)}))()"""


def find_chromium() -> str | None:
    """The Debian ``chromium`` binary, installed with apt-get when missing and possible; else None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, timeout=600)
        return shutil.which("chromium")
    return None


class Chromium:
    """One headless browser; :meth:`visit` loads a URL and returns the page's state."""

    def __init__(self, exe: str, width: int = 1280, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="bnpl-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def fds():  # the protocol pipe is fd 3 (chrome reads) and fd 4 (chrome writes)
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._id, self._buf = 0, b""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" not in self._buf:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium exited during {method}")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)["result"].get("value")

    def visit(self, url: str, timeout: float = 60) -> dict:
        self.call("Page.navigate", session=True, url=url)
        end = time.time() + timeout
        state = {}
        while time.time() < end:
            state = self.evaluate(PAGE_STATE) or {}
            if state.get("ready") == "complete" and state.get("url", "").split("#")[0] == url.split("#")[0]:
                return state
            time.sleep(0.2)
        return state

    def screenshot(self, path: Path, max_height: int = 5000, end: bool = False) -> Path:
        """PNG of the page's top ``max_height`` pixels, or with ``end`` of its last ones."""
        metrics = self.call("Page.getLayoutMetrics", session=True)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = min(size["height"], max_height)
        top = max(0, size["height"] - height) if end else 0
        clip = {"x": 0, "y": top, "width": size["width"], "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, format="png", clip=clip, captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        for fd in (self._r, self._w):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def local_path(url: str) -> Path | None:
    u = urlparse(url)
    return Path(unquote(u.path)) if u.scheme == "file" else None


def check_site(browser: Chromium, index: Path) -> dict[str, list[str]]:
    """Visit ``index`` and every local HTML page it links to (transitively). Returns the problems found
    (``unloaded``, ``broken_images``, ``dead_links``) and the pages visited."""
    problems: dict[str, list[str]] = {"unloaded": [], "broken_images": [], "dead_links": [], "visited": []}
    todo, seen = [index.resolve().as_uri()], set()
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        state = browser.visit(url)
        problems["visited"].append(url)
        if state.get("ready") != "complete" or not state.get("text") or not state.get("url", "").startswith("file:"):
            problems["unloaded"].append(url)
            continue
        problems["broken_images"] += [f"{url}: {i['src'][:120]}" for i in state["images"] if not i["ok"]]
        for link in state["links"]:
            p = local_path(link)
            if p is None:
                continue
            if not p.exists():
                problems["dead_links"].append(f"{url} -> {link}")
            elif p.suffix == ".html":
                todo.append(link.split("#")[0])
    return problems
