"""`make docs-check`: open every page of the rendered site (`_docs/`, from `make docs`) in headless Chromium, as a reader would
from `file://`, and fail on what a reader would see broken: a MathJax error, math left untypeset (`$...$`, `\\(...\\)`), a
local link or anchor that leads nowhere, an image that does not load, a page without a title, a console error, or a search
for `obtuse_loss` that finds nothing. Writes screenshots to `_docs/screenshots/`.

Chromium is driven through its DevTools protocol (websocket-client); Debian's `chromium` is installed with apt-get when
missing and this runs as root. Usage: `python tools/docs_check.py [--site _docs] [--pages 'losses.html toy.html']`."""
import argparse, base64, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SEARCH_TERM = 'obtuse_loss'
SHOTS = [('index', 'index.html', ''), ('04_losses', 'losses.html', ''), ('04_losses_api', 'losses.html', '#obtuse_loss'),   # (name, page, CSS selector)
         ('20_toy', 'toy.html', ''), ('20a_explorer', 'explorer.html', '.toy-explorer'), ('29_leaderboard', 'leaderboard.html', ''),
         ('quickstart', 'quickstart.html', ''), ('reproduces', 'reproduces.html', ''),
         ('search', 'search.html?q=obtuse_loss', '#search-results')]
NARROW = [('index_400px', 'index.html', ''), ('quickstart_400px', 'quickstart.html', ''),
          ('04_losses_api_400px', 'losses.html', '#obtuse_loss')]   # the same pages as a phone shows them
LANDING_WORDS = 1600   # the landing page's visible words, code and the module map included: it points to the long pages
_RE_ARTICLE = re.compile(r'<article[^>]*>(.*?)</article>', re.S)
_RE_OUTPUT_PRE = re.compile(r'class="[^"]*output[^"]*"[^>]*>\s*(?:<div[^>]*>\s*)*<pre[^>]*>(.*?)</pre>', re.S)

def chromium() -> str:
    "Path of the chromium binary, installing Debian's package first when it is missing and we are root."
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe: return exe
    if os.geteuid() == 0 and shutil.which('apt-get'):
        print('docs-check: installing Debian chromium (apt-get)')
        env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
        subprocess.run('apt-get update -qq && apt-get install -y -qq chromium >/dev/null', shell=True, check=True, env=env)
        return shutil.which('chromium')
    sys.exit('docs-check: chromium is not installed (sudo apt-get install chromium)')

class Browser:
    "A headless Chromium with one page, driven over the DevTools protocol; events are kept in `self.events`."
    def __init__(self, width: int = 1400, height: int = 1800):
        import websocket
        self.tmp = tempfile.mkdtemp(prefix='docs-check-')
        args = [chromium(), '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
                '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
                f'--user-data-dir={self.tmp}', '--remote-debugging-port=0', f'--window-size={width},{height}', 'about:blank']
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.tmp) / 'DevToolsActivePort'
        for _ in range(200):
            if port_file.exists() and len(port_file.read_text().split()) >= 2: break
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json'))
        url = next(t['webSocketDebuggerUrl'] for t in targets if t['type'] == 'page')
        self.ws, self.n, self.events = websocket.create_connection(url, suppress_origin=True, timeout=60), 0, []
        for m in ('Page.enable', 'Runtime.enable', 'Log.enable'): self.call(m)
        self.call('Page.addScriptToEvaluateOnNewDocument', source=MATHJAX_HOOK)

    def call(self, method: str, **params) -> dict:
        self.n += 1
        self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.n:
                if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
                return msg['result']
            self.events.append(msg)

    def wait_event(self, *names: str, timeout: float = 30.) -> None:
        end = time.time() + timeout
        while not any(e.get('method') in names for e in self.events):
            if time.time() > end: raise TimeoutError(' or '.join(names))
            self.events.append(json.loads(self.ws.recv()))

    def eval(self, js: str):
        r = self.call('Runtime.evaluate', expression=js, awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in r: raise RuntimeError(f"page script failed: {r['exceptionDetails'].get('text')} in {js[:60]}")
        return r['result'].get('value')

    def open(self, url: str) -> None:
        self.events.clear()
        self.call('Page.navigate', url=url)
        self.wait_event('Page.loadEventFired', 'Page.navigatedWithinDocument')
        self.eval(MATHJAX_DONE)

    def close(self) -> None:
        self.ws.close(); self.proc.terminate(); self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)

# run before any page script: record MathJax 2's TeX and processing errors, and when its first typesetting pass has ended
MATHJAX_HOOK = r"""
window.__mjErrors = [];
window.MathJax = {AuthorInit: function () {
  MathJax.Hub.Register.MessageHook('TeX Jax - parse error', function (m) { window.__mjErrors.push('TeX: ' + m[1]); });
  MathJax.Hub.Register.MessageHook('Math Processing Error', function (m) { window.__mjErrors.push('processing: ' + m[2]); });
  MathJax.Hub.Register.StartupHook('End', function () { window.__mjDone = true; });
}};"""
MATHJAX_DONE = r"""new Promise(function (resolve) {
  var t0 = Date.now();
  (function poll() {
    if (!document.querySelector('script[src*="MathJax.js"]')) return resolve('no math');
    if (window.__mjDone) return resolve('typeset');
    if (Date.now() - t0 > 30000) return resolve('timeout');
    setTimeout(poll, 50);
  })();
})"""
PAGE_FACTS = r"""(function () {
  var skip = /^(PRE|CODE|SCRIPT|STYLE|TEXTAREA|NOSCRIPT|KBD|SAMP)$/;
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: function (n) {
    for (var e = n.parentElement; e; e = e.parentElement)
      if (skip.test(e.tagName) || /MathJax|mjx-/.test(e.getAttribute('class') || '')) return NodeFilter.FILTER_REJECT;
    return NodeFilter.FILTER_ACCEPT; }});
  var parts = [], n;
  while ((n = walker.nextNode())) parts.push(n.nodeValue);
  var text = parts.join(' ');
  var errs = [].map.call(document.querySelectorAll('.MathJax_Error, .mjx-merror, .noError, merror'), function (e) { return 'shown: ' + e.textContent; });
  var outs = [].map.call(document.querySelectorAll('.cell_output, .output'), function (e) { return e.textContent; }).join('\n');
  var noise = (outs.match(/\d+%\|[^\n]{0,40}\||\d+(\.\d+)?(it\/s|s\/it)\]|\w*Warning: [^\n]{0,80}/g) || []).slice(0, 3);
  if (document.querySelector('.stderr')) noise.push('a stderr stream');
  return {title: document.title.trim(), h1: ((document.querySelector('h1') || {}).textContent || '').trim(), noise: noise,
          mathjax: (window.__mjErrors || []).concat(errs),
          untypeset: (text.match(/\$[^$\s][^$]{0,150}?\$|\\\(|\\\[|\\begin\{/g) || []).slice(0, 5),
          links: [].map.call(document.querySelectorAll('a[href]'), function (a) { return a.href; }),
          images: [].map.call(document.images, function (i) { return {src: i.src, ok: i.complete && i.naturalWidth > 0}; })};
})()"""
SEARCH_RESULTS = r"""new Promise(function (resolve) {
  var t0 = Date.now();
  (function poll() {
    var items = document.querySelectorAll('#search-results li a');   // hits arrive one by one; the summary comes last
    var done = document.querySelector('#search-results .search-summary, #search-results p');
    var snippets = document.querySelectorAll('#search-results li p.context');   // summaries arrive after their hits
    if ((done && done.textContent.trim() && (snippets.length || Date.now() - t0 > 5000)) || Date.now() - t0 > 20000)
      return resolve({hits: [].map.call(items, function (a) { return a.getAttribute('href'); }),
                      snippets: [].map.call(snippets, function (p) { return p.textContent; })});
    setTimeout(poll, 100);
  })();
})"""

def console_errors(events: list) -> list[str]:
    "Console errors, uncaught exceptions and failed resource loads among the DevTools events of one page."
    out = []
    for e in events:
        m, p = e.get('method'), e.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            out.append('console: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', [])))
        elif m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            out.append('exception: ' + d.get('exception', {}).get('description', d.get('text', '')).split('\n')[0])
        elif m == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
            out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
    return out

class Links:
    "Checks `file://` hrefs against the site on disk: the file exists inside the site and the #fragment is an id on it."
    def __init__(self, site: Path): self.site, self._ids = site.resolve(), {}
    def ids(self, page: Path) -> set:
        if page not in self._ids: self._ids[page] = set(re.findall(r'\b(?:id|name)="([^"]+)"', page.read_text(encoding='utf-8', errors='replace')))
        return self._ids[page]
    def broken(self, hrefs: list[str]) -> list[str]:
        bad = []
        for h in sorted(set(hrefs)):
            u = urlsplit(h)
            if u.scheme != 'file': continue
            target = Path(unquote(u.path))
            if self.site not in target.resolve().parents and target.resolve() != self.site: bad.append(f'outside the site: {h}')
            elif not target.exists(): bad.append(f'missing: {h}')
            elif target.is_file() and u.fragment and target.suffix == '.html' and unquote(u.fragment) not in self.ids(target):
                bad.append(f'no anchor: {h}')
        return bad

def check_page(b: Browser, page: Path, links: Links) -> list[str]:
    "Open `page` and list its problems (empty when the page is fine)."
    b.open(page.resolve().as_uri())
    f = b.eval(PAGE_FACTS)
    probs = [] if f['title'] and (f['h1'] or page.name == 'search.html') else [f"no title (title {f['title']!r}, h1 {f['h1']!r})"]
    probs += [f'MathJax error: {m}' for m in f['mathjax']] + [f'untypeset math: {s!r}' for s in f['untypeset']]
    probs += [f"image does not load: {i['src']}" for i in f['images'] if not i['ok']]
    probs += [f'progress bar or warning in an output: {n!r}' for n in f['noise']]
    html = page.read_text(encoding='utf-8')
    if page.name == 'index.html' and page.resolve().parent == links.site and (n := visible_words(html)) > LANDING_WORDS:
        probs.append(f'the landing page has {n} words (limit {LANDING_WORDS}): move detail to the pages it links')
    return probs + check_outputs(html) + links.broken(f['links']) + console_errors(b.events)

def visible_words(html: str) -> int:
    "Words a reader sees in a page's article: tags, scripts and styles removed."
    m = _RE_ARTICLE.search(html)
    body = re.sub(r'<(script|style)[^>]*>.*?</\1>', ' ', m.group(1) if m else html, flags=re.S)
    return len(re.sub(r'<[^>]+>', ' ', body).split())

def check_outputs(html: str) -> list[str]:
    "Outputs printed as raw Markdown tables (a `|---|` rule in a text output): they should be displayed as tables."
    return [f"raw Markdown table in an output: {re.sub(r'<[^>]+>', '', pre).strip().splitlines()[0][:80]!r}"
            for pre in _RE_OUTPUT_PRE.findall(html) if re.search(r'^\s*\|\s*:?-{3,}', pre, re.M)]

def check_search(b: Browser, site: Path, term: str = SEARCH_TERM) -> list[str]:
    "The site's search page must find `term`, and among the hits the page that documents it."
    b.open((site / 'search.html').resolve().as_uri() + f'?q={term}')
    got = b.eval(SEARCH_RESULTS)
    hits, snippets = got['hits'], got['snippets']
    print(f'docs-check: search for {term!r} from file:// found {len(hits)} result(s): {", ".join(hits[:4])}; '
          f'{len(snippets)} with a summary')
    if not hits: return [f'search for {term!r} found nothing']
    probs = [f'search hit {h} is a module source page (they are kept out of the index)' for h in hits if h.startswith('source/')]
    if not any(term.lower() in t.lower() for t in snippets): probs.append(f'no search summary shows {term!r}')
    return probs + console_errors(b.events)

def screenshots(b: Browser, site: Path, out: Path) -> list[Path]:
    "Screenshots of `SHOTS` at the desktop width, then of `NARROW` at 400 px."
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for name, page, sel in SHOTS + NARROW:
        path, _, query = page.partition('?')
        if not (site / path).exists(): continue
        if name.endswith('_400px'): b.call('Emulation.setDeviceMetricsOverride', width=400, height=1800, deviceScaleFactor=1, mobile=True)
        b.open('about:blank'); b.open((site / path).resolve().as_uri() + (f'?{query}' if query else ''))
        if query: b.eval(SEARCH_RESULTS)   # a search page: wait for its hits and summaries
        if sel: b.eval(f"(document.querySelector({json.dumps(sel)}) || document.body).scrollIntoView({{behavior: 'instant'}})")
        time.sleep(0.5)
        png = out / f'{name}.png'
        png.write_bytes(base64.b64decode(b.call('Page.captureScreenshot', format='png')['data']))
        done.append(png)
    return done

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--site', default=str(ROOT / '_docs'), help='the rendered site (default _docs/)')
    ap.add_argument('--pages', default='', help='space-separated page paths relative to the site (default: every .html page)')
    a = ap.parse_args(argv)
    site = Path(a.site)
    if not (site / 'index.html').exists(): sys.exit(f'docs-check: {site}/index.html is missing; run `make docs` first')
    pages = [site / p for p in a.pages.split()] if a.pages else sorted(p for p in site.rglob('*.html') if '_static' not in p.parts)
    t0, b, links, failed = time.time(), Browser(), Links(site), {}
    try:
        for p in pages:
            probs = check_page(b, p, links)
            if probs: failed[str(p.relative_to(site))] = probs
        search = check_search(b, site)
        if search: failed['search.html?q=' + SEARCH_TERM] = search
        shots = screenshots(b, site, site / 'screenshots')
    finally: b.close()
    for page, probs in failed.items():
        print(f'docs-check: FAIL {page}'); [print(f'    {p}') for p in probs[:20]]
    print(f"docs-check: {len(pages)} pages opened in headless Chromium in {time.time() - t0:.0f} s, {len(failed)} with problems; "
          f"screenshots: {', '.join(str(s.relative_to(ROOT)) if ROOT in s.resolve().parents else str(s) for s in shots)}")
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
