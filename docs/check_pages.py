"""Load every page of the built site in headless Chromium and check it (run by `make docs`).

    python3 docs/check_pages.py docs/_build/html

The site is served on 127.0.0.1 (a free port) together with a check page that opens each
site page in a frame, waits for it to load, and records: the page has a title and visible
text in its main part, every image has loaded (complete, non-zero natural width), and every
internal link reaches a page that exists (HTTP 200) and, for #anchors, an element with that
id.  Chromium (Debian package `chromium`) runs it headless and prints the final DOM; exit
code 1 lists every failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

CHECK_PAGE = "__check_pages__.html"
SCRIPT = """<!doctype html><html><body><pre id="result">running</pre><script>
const pages = %(pages)s;
const failures = [], seen = {images: 0, links: 0, pages: 0};
const docs = {};
async function load(url) {          // the document at url (fetched once), or null
  const key = url.split('#')[0];
  if (!(key in docs)) {
    const r = await fetch(key);
    docs[key] = r.ok ? new DOMParser().parseFromString(await r.text(), 'text/html') : null;
  }
  return docs[key];
}
function inFrame(page) {
  return new Promise(resolve => {
    const frame = document.createElement('iframe');
    frame.onload = () => resolve(frame);
    frame.src = page;
    document.body.appendChild(frame);
  });
}
async function imagesLoaded(doc) {
  await Promise.all([...doc.images].map(img => img.complete ? null :
    new Promise(r => { img.onload = img.onerror = r; })));
}
(async () => {
  for (const page of pages) {
    const frame = await inFrame(page);
    const doc = frame.contentDocument;
    await imagesLoaded(doc);
    seen.pages++;
    const main = doc.querySelector('[role=main]') || doc.body;
    if (!doc.title || main.innerText.trim().length < 20 || main.getBoundingClientRect().height < 10)
      failures.push(`${page}: blank page (title '${doc.title}')`);
    for (const img of doc.images) {
      seen.images++;
      if (!img.complete || img.naturalWidth === 0) failures.push(`${page}: image not loaded: ${img.getAttribute('src')}`);
    }
    for (const a of doc.querySelectorAll('a[href]')) {
      const url = new URL(a.getAttribute('href'), frame.contentWindow.location.href);
      if (url.origin !== location.origin) continue;
      seen.links++;
      const target = await load(url.href);
      if (target === null) { failures.push(`${page}: broken link ${a.getAttribute('href')}`); continue; }
      const id = decodeURIComponent(url.hash.slice(1));
      if (id && !target.getElementById(id)) failures.push(`${page}: no anchor #${id} (link ${a.getAttribute('href')})`);
    }
    frame.remove();
  }
  document.getElementById('result').textContent = JSON.stringify({seen, failures});
})();
</script></body></html>"""


def serve(root: Path, pages: list[str]) -> http.server.ThreadingHTTPServer:
    """A local server for the site and the check page, on a free port, in a thread."""
    check = (SCRIPT % {"pages": json.dumps(pages)}).encode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.lstrip("/") == CHECK_PAGE:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(check)))
                self.end_headers()
                self.wfile.write(check)
            else:
                super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(root: Path) -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("check_pages: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    pages = sorted(str(p.relative_to(root)) for p in root.rglob("*.html"))
    server = serve(root, pages)
    url = f"http://127.0.0.1:{server.server_address[1]}/{CHECK_PAGE}"
    try:
        dom = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--virtual-time-budget=120000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        ).stdout
    finally:
        server.shutdown()
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    if match is None or match[1] == "running":
        print(f"check_pages: the check page did not finish in Chromium ({len(pages)} pages)", file=sys.stderr)
        return 1
    result = json.loads(match[1].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    seen = result["seen"]
    for failure in result["failures"]:
        print(f"check_pages: {failure}", file=sys.stderr)
    print(
        f"check_pages: {seen['pages']} pages, {seen['images']} images, {seen['links']} internal links; "
        f"{len(result['failures'])} failures",
        file=sys.stderr,
    )
    return 1 if result["failures"] or seen["pages"] != len(pages) else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")))
