"""The docs site: `tools/render_docs.py` renders every notebook offline (nbdev processing + Sphinx), every exported name gets
an API entry at the anchor `_modidx.py` links to, links stay inside the site, the paper-vs-code page has its anchors, and
`tools/docs_check.py` passes in headless Chromium (and fails on a page built to be broken).

The full site is built once for this module (about 1.5 minutes on a 2-core CPU), the browser check takes about as long."""
import importlib.util, json, re, shutil, subprocess, sys
from html import unescape
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
ALGO_ANCHORS = ('msgm-losses', 'erasediff', 'rg-rgd', 'distillation', 'salun-mask', 'retention', 'bits-per-dim', 'unlearning-ratio')
_missing = [m for m in ('sphinx', 'myst_nb', 'furo') if importlib.util.find_spec(m) is None]
needs_sphinx = pytest.mark.skipif(bool(_missing), reason=f"the docs toolchain is not installed ({', '.join(_missing)}): pip install -e .[dev]")
needs_chromium = pytest.mark.skipif(not (shutil.which('chromium') or shutil.which('chromium-browser')),
                                    reason='Debian chromium is not installed (make install adds it as root)')

@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp('site') / '_docs'
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'render_docs.py'), '--offline', '--out', str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    print(r.stdout)
    return out

def public_symbols() -> dict:
    "`_modidx.py`'s public names (no part starting with '_'): name -> 'page.html#anchor'."
    from msgm_nb._modidx import d
    return {sym: url for mod in d['syms'].values() for sym, (url, _) in mod.items()
            if not any(p.startswith('_') for p in sym.split('.'))}

def ids(page: Path) -> set: return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding='utf-8')))

@needs_sphinx
def test_every_exported_name_has_an_api_entry(site):
    syms, missing, pages = public_symbols(), [], {}
    assert len(syms) > 150, len(syms)
    for sym, url in syms.items():
        page, anchor = url.split('#')
        if page not in pages: pages[page] = ids(site / page) if (site / page).exists() else set()
        if anchor not in pages[page]: missing.append(f'{sym} -> {url}')
    assert not missing, f'{len(missing)} of {len(syms)} exported names have no rendered API entry:\n' + '\n'.join(missing)

@needs_sphinx
def test_an_api_entry_shows_signature_parameters_and_docstring(site):
    html = (site / 'losses.html').read_text(encoding='utf-8')
    entry = html[html.index('id="obtuse_loss"'):][:6000]
    text = unescape(re.sub(r'<[^>]+>', '', entry))
    sig = re.sub(r'\s+', ' ', text[:text.index('\u2192')])                                  # the signature, up to its arrow
    assert 'obtuse_loss( score_fn: ScoreFn, sde, x0: Tensor, *, t=None,' in sig, sig         # keyword-only marker as written
    assert "(str, default 'paper'): \u2018paper\u2019: -sigma s . z (Eq. 8)" in text          # the parameter's docment
    assert 'Obtuse-MSGM forget loss (Eq. 8, lambda = sigma^2).' in text                      # docstring
    src = re.search(r'class="api-source" href="([^"#]+)#(L-\d+)"', entry)
    assert src and (site / src.group(1)).exists() and src.group(2) in ids(site / src.group(1))
    assert 'def obtuse_loss(' in re.sub(r'<[^>]+>', '', (site / src.group(1)).read_text(encoding='utf-8'))   # the module's source

@needs_sphinx
def test_api_is_indexed_for_other_sites(site):
    "objects.inv names every exported function and class (intersphinx links work); the general and module indexes exist."
    import posixpath
    from sphinx.util.inventory import InventoryFile
    with open(site / 'objects.inv', 'rb') as f: inv = InventoryFile.load(f, '', posixpath.join)
    names = {n for kind in ('py:function', 'py:class', 'py:method', 'py:property', 'py:data') for n in inv.get(kind, {})}
    syms = [s for s in public_symbols() if not s.split('.')[-1].isupper()]   # constants have no entry of their own
    missing = [s for s in syms if s not in names]
    assert not missing, f'{len(missing)} of {len(syms)} exported names are not in objects.inv: {missing[:20]}'
    assert 'msgm_nb.losses.obtuse_loss' in inv['py:function'] and 'msgm_nb.train.TrainConfig' in inv['py:class']
    modules = {p.stem for p in (ROOT / 'msgm_nb').glob('*.py') if not p.name.startswith('_')}
    assert {f'msgm_nb.{m}' for m in modules} <= set(inv['py:module'])
    assert (site / 'py-modindex.html').exists() and 'msgm_nb.losses' in (site / 'py-modindex.html').read_text(encoding='utf-8')
    assert 'obtuse_loss()' in re.sub(r'<[^>]+>', '', (site / 'genindex.html').read_text(encoding='utf-8'))

@needs_sphinx
def test_rendered_signatures_match_the_code(site):
    "Every rendered function signature has the parameters of `inspect.signature`, in order, with the keyword-only `*`."
    import importlib, inspect
    checked = 0
    for mod in sorted(p.stem for p in (ROOT / 'msgm_nb').glob('*.py') if not p.name.startswith('_')):
        page = site / f'{mod}.html'
        html = page.read_text(encoding='utf-8') if page.exists() else ''
        for m in re.finditer(r'<dt class="sig sig-object py" id="msgm_nb\.%s\.(\w+)">(.*?)</dt>' % mod, html, re.S):
            obj = getattr(importlib.import_module(f'msgm_nb.{mod}'), m.group(1), None)
            if not inspect.isfunction(obj): continue
            shown = [re.sub(r'<[^>]+>', '', p).split(':')[0].split('=')[0].strip()
                     for p in re.findall(r'<em class="sig-param">(.*?)</em>', m.group(2), re.S)]
            want, star = [], False
            for p in inspect.signature(obj).parameters.values():
                if p.kind is p.KEYWORD_ONLY and not star and not any(q.kind is q.VAR_POSITIONAL for q in inspect.signature(obj).parameters.values()):
                    want.append('*'); star = True
                want.append({p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind, '') + p.name)
            assert shown == want, f'msgm_nb.{mod}.{m.group(1)}: rendered {shown}, code {want}'
            checked += 1
    assert checked > 150, checked

@needs_sphinx
def test_links_stay_on_the_site(site):
    placeholder = re.compile(r'href="https?://(?:msgm-nb\.github\.io|github\.com/msgm-nb)')
    bad = [p.name for p in site.rglob('*.html') if placeholder.search(p.read_text(encoding='utf-8'))]
    assert not bad, f'pages linking to the placeholder doc_host / git_url: {bad}'
    home = (site / 'index.html').read_text(encoding='utf-8')
    assert 'href="losses.html"' in home and 'href="toy.html"' in home          # the notebook table links its notebooks

@needs_sphinx
def test_paper_vs_code_page_has_its_sections(site):
    html = (site / 'algorithms.html').read_text(encoding='utf-8')
    assert set(ALGO_ANCHORS) <= ids(site / 'algorithms.html')
    starts = [html.index(f'id="{a}"') for a in ALGO_ANCHORS] + [len(html)]
    for a, i, j in zip(ALGO_ANCHORS, starts, sorted(starts)[1:]):
        part = html[i:j]
        assert 'class="math' in part, f'section {a} has no equation'
        api = re.findall(r'href="(\w+)\.html#([\w.]+)"', part)
        assert api and all(b in ids(site / f'{p}.html') for p, b in api), f'section {a}: API links {api}'

@needs_sphinx
def test_outputs_have_no_progress_bars_or_widgets(site):
    for p in ('metrics.html', 'toy.html', 'explorer.html'):
        html = (site / p).read_text(encoding='utf-8')
        assert 'stderr' not in html and 'it/s]' not in html and 'interactive(children' not in html, p
    explorer = (site / 'explorer.html').read_text(encoding='utf-8')
    frames = re.findall(r'<img data-key="([^"]+)" src="([^"]+)"', explorer)   # the static explorer and its stored frames
    assert len(frames) == 50 and all((site / src).exists() for _, src in frames)

@needs_sphinx
@needs_chromium
def test_docs_check_passes_in_chromium(site, capsys):
    import docs_check
    rc = docs_check.main(['--site', str(site)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(r"search for 'obtuse_loss' from file:// found [1-9]", out), out
    assert {p.stem for p in (site / 'screenshots').glob('*.png')} >= {'index', '04_losses', '20_toy', '20a_explorer', '29_leaderboard'}

@needs_sphinx
@needs_chromium
def test_the_static_explorer_moves_without_a_kernel(site):
    import docs_check
    b = docs_check.Browser()
    try:
        b.open((site / 'explorer.html').resolve().as_uri())
        shown = "[...document.querySelectorAll('.toy-explorer img')].filter(i => i.style.display !== 'none').map(i => i.dataset.key)"
        assert b.eval(shown) == ['obtuse_a0.5_k4']
        pick = ("(function (m, a, k) {{ var r = document.querySelector('.toy-explorer');"
                " r.querySelector('.tx-method').value = m; r.querySelector('.tx-alpha').value = a; r.querySelector('.tx-every').value = k;"
                " r.querySelector('.tx-every').dispatchEvent(new Event('input')); }})({!r}, {!r}, {!r})")
        b.eval(pick.format('obtuse_reversed', '0', '1'))
        assert b.eval(shown) == ['obtuse_reversed_a0.1_k1'] and b.eval("document.querySelector('.tx-alpha-value').textContent") == '0.1'
        b.eval(pick.format('unseen', '5', '4'))
        assert b.eval(shown) == ['unseen'] and b.eval("document.querySelector('.tx-alpha').disabled")
        assert b.eval("[...document.querySelectorAll('.toy-explorer img')].every(i => i.complete && i.naturalWidth > 0)")
    finally: b.close()

@needs_chromium
def test_docs_check_fails_on_a_broken_page(tmp_path, capsys):
    import docs_check
    mj = '<script async src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML"></script>' \
        if Path('/usr/share/javascript/mathjax/MathJax.js').exists() else ''
    (tmp_path / 'index.html').write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Broken</title>{mj}</head><body><h1>Broken</h1>'
        r'<p><span class="math">\(\frac{1}{\)</span> and raw $a+b$</p><a href="gone.html">x</a> <a href="index.html#nope">y</a>'
        '<img src="gone.png"><div class="cell_output"><pre class="stderr">50%|#####     | 5/10</pre></div>'
        '<div class="cell_output"><pre>| row | UR |\n|---|---|\n| a | 1 |</pre></div><p>' + 'word ' * 1800 + '</p>'
        "<script>console.error('boom')</script></body></html>")
    (tmp_path / 'untitled.html').write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>x</body></html>')
    (tmp_path / 'search.html').write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Search</title></head><body>'
                                          '<div id="search-results"><p class="search-summary">No match.</p></div></body></html>')
    assert docs_check.main(['--site', str(tmp_path)]) == 1
    out = capsys.readouterr().out
    for problem in ('untypeset math', 'missing: file://', 'no anchor: file://', 'image does not load', 'console: boom',
                    'progress bar or warning', 'no title', 'raw Markdown table in an output', 'the landing page has', "search for 'obtuse_loss' found nothing") + (('MathJax error',) if mj else ()):
        assert problem in out, f'{problem!r} not reported:\n{out}'

@needs_sphinx
def test_the_site_speaks_of_the_subject(site):
    "The rendered pages (prose, outputs, API docstrings) hold no words about how the project was made (the notebooks' rule)."
    sys.path.insert(0, str(ROOT / 'tests'))
    from test_prose import PROCESS_WORDS
    found = []
    for p in sorted(site.rglob('*.html')):
        if '_static' in p.parts: continue
        h = p.read_text(encoding='utf-8')
        m = re.search(r'<article[^>]*>(.*?)</article>', h, re.S)
        text = unescape(re.sub(r'<[^>]+>', ' ', re.sub(r'<(script|style)[^>]*>.*?</\1>', ' ', m.group(1) if m else h, flags=re.S)))
        found += [f'{p.relative_to(site)}: {text[max(0, w.start() - 60):w.end() + 40]!r}' for w in PROCESS_WORDS.finditer(text)]
    assert not found, '\n'.join(found[:20])

@needs_sphinx
def test_the_sidebar_follows_the_readers_path(site):
    "Landing page, then 'Start here' (quickstart, what reproduces, paper and code), the experiments, the library, the reference."
    html = (site / 'index.html').read_text(encoding='utf-8')
    caps = re.findall(r'<p class="caption"[^>]*>\s*<span class="caption-text">([^<]+)</span>', html)
    assert caps[:3] == ['Start here', 'Experiments', 'Library'], caps
    nav = re.findall(r'toctree-l1[^>]*><a class="reference internal" href="([^"#]+)"', html)
    assert nav[:3] == ['quickstart.html', 'reproduces.html', 'algorithms.html'] and 'changelog.html' in nav, nav
    assert nav.index('toy.html') < nav.index('losses.html') < nav.index('cli.html')
    nxt = re.search(r'<a class="next-page" href="([^"]+)"', html)
    assert nxt and nxt.group(1) == 'quickstart.html'                                          # previous/next follows it too
    log = (site / 'changelog.html').read_text(encoding='utf-8')
    version = re.search(r'^version\s*=\s*(\S+)', (ROOT / 'settings.ini').read_text(), re.M).group(1)
    assert f'{version}' in log and f'msgm_nb {version}' in html                              # the version, in the title too

@needs_sphinx
def test_search_summaries_work_offline_and_skip_module_sources(site):
    "Source pages are kept out of the search index; every searchable page's text is in the snippets file the loader reads."
    idx = (site / 'searchindex.js').read_text(encoding='utf-8')
    index = json.loads(idx[idx.index('(') + 1 : idx.rindex(')')])
    source = {i for i, n in enumerate(index['docnames']) if n.startswith('source/')}
    found = lambda table: {d for docs in index[table].values() for d in (docs if isinstance(docs, list) else [docs])}
    assert source and not (found('terms') | found('titleterms')) & source                     # no word leads to a source page
    assert index['docnames'].index('losses') in found('terms')
    snip = (site / '_static' / 'search-snippets.js').read_text(encoding='utf-8')
    pages = json.loads(snip[snip.index('=') + 1:].rstrip().rstrip(';'))
    assert {'losses', 'toy', 'changelog'} <= set(pages) and not [p for p in pages if p.startswith(('source/', '_static'))]
    assert 'obtuse_loss' in pages['losses'] and '<script' not in pages['losses'] and pages['losses'].startswith('<div role="main">')
    assert re.search(r'<section id="[^"]+">', pages['losses'])                                 # anchored hits find their section
    assert 'search-snippets-loader.js' in (site / 'search.html').read_text(encoding='utf-8')
