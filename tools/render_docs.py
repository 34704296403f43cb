"""`make docs`: render the notebooks into a static site in `_docs/`.

With Quarto on PATH this is plain `nbdev_docs`. Without it the same nbdev processing runs (`nbdev.serve.proc_nbs`: exported and
hidden cells dropped, `show_doc` executed into API entries, front matter built) and Sphinx renders the processed notebooks with
myst-nb and the Furo theme (tools/docs/conf.py): full-text search that works from `file://`, a sidebar in notebook order,
per-page contents, previous/next links and a local MathJax (Debian's `libjs-mathjax`), so the site needs no network.

Between the two steps `stage` turns each processed notebook into a Sphinx page: the API entries become sections with nbdev's
anchors (`losses.html#obtuse_loss`, the ids `_modidx.py` links to), links are made relative to the site, `[source]` points to a
highlighted copy of the module in `source/`, and stderr streams, progress bars and widget views are dropped from the outputs."""
import ast, json, re, shutil, subprocess, sys, time
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
DOCS, PROC = ROOT / '_docs', ROOT / '_proc'
STAGE = PROC / '_site'                      # the Sphinx sources written by `stage`
CONF = ROOT / 'tools' / 'docs'              # conf.py and _static/
MATHJAX_SRC = Path('/usr/share/javascript/mathjax')
CAPTIONS = {'0': 'Library', '1': 'Library', '19': 'Experiments', '2': 'Experiments', '29a': 'Library'}   # longest prefix first
GUIDE = ('quickstart', 'reproduces', 'algorithms')   # unnumbered pages a reader opens first, in this order, after the landing page
# the reader's path through the sidebar and previous/next: landing page, GUIDE, the experiments, the library, the rest
_GROUP_RANK = {'Start here': 1, 'Experiments': 2, 'Library': 3}
_RE_ANSI = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')
_RE_PROGRESS = re.compile(r'\r|\d+%\|| \d+(?:\.\d+)?(?:it|s)/(?:s|it)\]')
_RE_QUARTO_ATTR = re.compile(r'(\]\([^)\s]*\))\{[^}\n]*\}')     # Quarto's attributes after a link: [source](url){target=...}
_RE_NB_LINK = re.compile(r'\]\((?:\./)?([\w-]+)\.ipynb(#[^)\s]*)?\)')   # a link to a notebook, e.g. (04_losses.ipynb#notation)
_RE_ARXIV = re.compile(r'(?<![\w/\[`-])arXiv[ :]+(?P<id>\d{4}\.\d{4,5})(?:v\d+)?(?![\w\]`])')   # an arXiv id in prose: linked
_RE_PRIVATE_LINK = re.compile(r'\[(`[^`\]]+`)\]\([\w-]+\.html#(?:[^)\s]*\.)?_[^)\s]*\)')

# --- 1. nbdev's processing, executing only what the API entries need ---------------------------------------------------

def _docs_eval(cell) -> bool:
    "Cells `exec_show_docs` runs: exported code, pure imports and `show_doc` calls (other outputs are stored in the notebooks)."
    import nbdev.processors as P
    if cell.cell_type != 'code' or P.cell_lang(cell) != 'python' or not cell.source: return False
    if cell.directives_.get('eval:', [''])[0].lower() == 'false': return False
    if cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'}: return True
    trees = cell.parsed_()
    if not trees: return False
    if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): return True
    return len(P._show_docs(trees)) == len(trees)

def process() -> Path:
    "Run nbdev's notebook processors on nbs/ into _proc/ (from scratch) and return that folder."
    import nbdev.processors as P
    from nbdev.serve import proc_nbs
    P._do_eval = _docs_eval
    return Path(proc_nbs(n_workers=0, force=True))

# --- 2. stage: processed notebooks -> Sphinx sources --------------------------------------------------------------------

def _settings() -> dict:
    from nbdev.config import get_config
    cfg = get_config(path=ROOT)
    return dict(doc_prefix=urljoin(cfg.doc_host + '/', cfg.doc_baseurl).rstrip('/') + '/',
                src_prefix=urljoin(cfg.git_url + '/', f'blob/{cfg.branch}/'), lib=cfg.lib_name)

def _frontmatter(nb: dict) -> dict:
    import yaml
    for c in nb['cells']:
        m = re.match(r'^---\n(.*?)\n---', ''.join(c['source']), re.S) if c['cell_type'] == 'raw' else None
        if m: return yaml.safe_load(m.group(1)) or {}
    return {}

def _default_exp(src: Path) -> str | None:
    for c in json.loads(src.read_text(encoding='utf-8'))['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M) if c['cell_type'] == 'code' else None
        if m: return m.group(1)

def caption(stem: str) -> str:
    "The sidebar group of a notebook: 'Start here' for GUIDE, else by its number (CAPTIONS), else 'Reference'."
    return 'Start here' if stem in GUIDE else next((CAPTIONS[stem[:n]] for n in (3, 2, 1) if stem[:n] in CAPTIONS), 'Reference')

def pages(proc: Path) -> list[dict]:
    "One record per processed notebook, in notebook order: stem, page (nbdev's output file name), title, module, notebook."
    out = []
    order = lambda p: (p.stem != 'index', _GROUP_RANK.get(caption(p.stem), 4), GUIDE.index(p.stem) if p.stem in GUIDE else 0, p.stem)
    for p in sorted(proc.glob('*.ipynb'), key=order):
        nb = json.loads(p.read_text(encoding='utf-8'))
        fm = _frontmatter(nb)
        page = Path(fm.get('output-file', p.stem + '.html')).stem
        out.append(dict(stem=p.stem, page=page, title=fm.get('title', p.stem), description=fm.get('description', ''),
                        module=_default_exp(ROOT / 'nbs' / p.name), nb=nb))
    for p in out:   # two notebooks with one stripped name (09_downstream, 28_downstream): the module's keeps it, the other its stem
        if p['module'] != p['page'] and sum(q['page'] == p['page'] for q in out) > 1: p['page'] = p['stem']
    return out

class Linker:
    "Rewrites nbdev's absolute doc and source links to hrefs relative to the site, and links backticked notebook names."
    def __init__(self, settings: dict, pages: list[dict]):
        self.s, self.page_of, self.assets = settings, {p['stem']: p['page'] for p in pages}, set()
        self.name_of = {p['stem']: p['title'].split(':')[0].strip() for p in pages}   # a notebook named in prose: its page title
        stems = '|'.join(map(re.escape, sorted(self.page_of, key=len, reverse=True)))
        self.re_nb = re.compile(rf'(?<![\[\w/])`({stems})(?:\.ipynb)?`(?!\]|\()')

    def source(self, url: str) -> str:
        "`.../blob/main/msgm_nb/losses.py#L44` -> `source/losses.html#L-44`."
        m = re.match(re.escape(self.s['src_prefix']) + rf"{self.s['lib']}/(\w+)\.py(?:#L(\d+))?$", url)
        if not m: return url
        return f'source/{m.group(1)}.html' + (f'#L-{m.group(2)}' if m.group(2) else '')

    def __call__(self, md: str, notebooks: bool = True) -> str:
        md = _RE_QUARTO_ATTR.sub(r'\1', md).replace('](' + self.s['doc_prefix'], '](')
        md = _RE_PRIVATE_LINK.sub(lambda m: m.group(1), md)   # private names have no API entry: keep the code, drop the link
        md = _RE_NB_LINK.sub(lambda m: f"]({self.page_of[m.group(1)]}.html{m.group(2) or ''})" if m.group(1) in self.page_of else m.group(0), md)
        if not notebooks: return md
        for path in re.findall(r'!\[[^\]]*\]\(([^)\s:?#]+)\)', md):   # images a markdown cell shows, relative to nbs/: copied beside the pages
            if (ROOT / 'nbs' / path).is_file(): self.assets.add(path)
        parts = re.split(r'(^```.*?^```)', md, flags=re.M | re.S)   # leave fenced code alone
        nb = lambda p: self.re_nb.sub(lambda m: f"[{self.name_of[m.group(1)]}]({self.page_of[m.group(1)]}.html)", p)
        return ''.join(p if p.startswith('```') else _RE_ARXIV.sub(r'[\g<0>](https://arxiv.org/abs/\g<id>)', nb(p)) for p in parts)

_RE_SHOWDOC = re.compile(r'^---\s*\n+(?:\[source\]\((?P<src>[^)]*)\)[^\n]*\n+)?(?P<h>#+) (?P<name>[^\n]+)\n(?P<body>.*)$', re.S)

# --- API entries from the objects themselves: signatures as written, parameters from the docments ----------------------

def _unparse(n) -> str:
    import ast
    return ast.unparse(n)

def _arg(a, default=None) -> tuple[str, str | None, str | None]:
    "(name, annotation, default) of one ast argument, as written."
    return a.arg, _unparse(a.annotation) if a.annotation is not None else None, _unparse(default) if default is not None else None

def _params(obj) -> tuple[list, str | None]:
    """The parameters of a function, method or class as written in its source: `[(kind, name, annotation, default)]` with
    kind '' (plain), '/' (marker), '*' (marker), '*args', '**kw'; and the return annotation. Raises where there is no source."""
    import ast, dataclasses, inspect, textwrap
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        body = ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0].body
        anns = {n.target.id: n for n in body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
        return [('', f.name, *(_arg(ast.arg(f.name, anns[f.name].annotation), anns[f.name].value)[1:]))
                for f in dataclasses.fields(obj) if f.init and f.name in anns], None
    target = obj.__init__ if inspect.isclass(obj) else obj
    fn = inspect.unwrap(getattr(target, '__func__', getattr(target, 'fget', target)))
    node = next(n for n in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn))))
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    a = node.args
    pos = a.posonlyargs + a.args
    defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
    out = [('', *_arg(x, d)) for x, d in zip(pos, defaults)]
    if a.posonlyargs: out.insert(len(a.posonlyargs), ('/', '/', None, None))
    if a.vararg: out.append(('*args', *_arg(a.vararg)))
    elif a.kwonlyargs: out.append(('*', '*', None, None))
    out += [('', *_arg(x, d)) for x, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg: out.append(('**kw', *_arg(a.kwarg)))
    bound = inspect.isclass(obj) or (pos and pos[0].arg in ('self', 'cls') and '.' in getattr(obj, '__qualname__', '')
                                     and not isinstance(inspect.getattr_static(_owner(obj), obj.__name__, None), staticmethod))
    if bound and out and out[0][1] in ('self', 'cls'): out = out[1:]
    return out, (_unparse(node.returns) if node.returns is not None and not inspect.isclass(obj) else None)

def _owner(obj):
    "The class a method is defined on (from its qualified name), or None."
    import sys
    parts = getattr(obj, '__qualname__', '').split('.')[:-1]
    o = sys.modules.get(getattr(obj, '__module__', ''), None)
    for p in parts:
        o = getattr(o, p, None)
    return o

def signature_text(params: list, ret: str | None) -> str:
    "`(x, *, t: Tensor | None = None) -> Tensor` from `_params`."
    def one(kind, name, anno, default):
        if kind in ('/', '*'): return kind
        s = ('*' if kind == '*args' else '**' if kind == '**kw' else '') + name + (f': {anno}' if anno else '')
        return s + ((' = ' if anno else '=') + default if default is not None else '')
    return '(' + ', '.join(one(*p) for p in params) + ')' + (f' -> {ret}' if ret else '')

def api_body(obj, kind: str, lookup) -> str:
    "An API entry's body: the docstring (names linked), then its parameters (or fields) with type, default and docment, and the return."
    import inspect
    from fastcore.docments import docments
    doc = '\n'.join(lookup.link_line(l) for l in (inspect.getdoc(obj) or '').split('\n'))
    try: params, ret = _params(obj) if callable(obj) or isinstance(obj, property) else ([], None)
    except (TypeError, OSError, StopIteration, KeyError): params, ret = [], None
    try: notes = docments(obj) if callable(obj) else {}
    except Exception: notes = {}
    rows = []
    for k, name, anno, default in params:
        if k in ('/', '*'): continue
        bits = ', '.join(x for x in (f'`{anno}`' if anno else '', f'default `{default}`' if default is not None else '') if x)
        note = notes.get(name)
        rows.append(f"- **`{('*' if k == '*args' else '**' if k == '**kw' else '') + name}`**" + (f' ({bits})' if bits else '')
                    + (f': {note}' if note else ''))
    out = [doc] if doc else []
    if rows: out.append(('**Fields**' if kind == 'class' and not notes.get('return') and _is_dataclass(obj) else '**Parameters**')
                        + '\n\n' + '\n'.join(rows))
    if ret or notes.get('return'):
        out.append('**Returns**' + (f' `{ret}`' if ret else '') + (f': {notes["return"]}' if notes.get('return') else ''))
    return '\n\n'.join(out)

def _is_dataclass(obj) -> bool:
    import dataclasses
    return dataclasses.is_dataclass(obj)

def api_directive(obj, name: str, module: str, lookup) -> str:
    "A Sphinx Python-domain directive for `obj` (so the object is in the indexes and `objects.inv`), body from `api_body`."
    import inspect
    if inspect.isclass(obj): kind = 'class'
    elif isinstance(obj, property): kind = 'property'
    elif '.' in name and callable(obj): kind = 'method'
    elif callable(obj): kind = 'function'
    else: kind = 'data'
    try: sig = signature_text(*_params(obj)) if kind in ('class', 'method', 'function') else ''
    except (TypeError, OSError, StopIteration, KeyError):
        try: sig = str(inspect.signature(obj)).replace("'", '') if callable(obj) else ''
        except (TypeError, ValueError): sig = ''   # e.g. an exception class: the builtin __init__ has no signature
    fence = '````'
    return (f"{fence}{{py:{kind}}} {name}{sig}\n:module: {module}\n\n{api_body(obj, kind, lookup)}\n{fence}\n")

def _resolve(module: str | None, name: str, lib: str):
    "The object `name` ('f', 'Cls', 'Cls.meth') of `lib.module`, or None."
    import importlib, inspect
    if not module: return None
    o = importlib.import_module(f'{lib}.{module}')
    for part in name.split('.'):
        o = inspect.getattr_static(o, part, None) if inspect.isclass(o) else getattr(o, part, None)
        if isinstance(o, (staticmethod, classmethod)): o = o.__func__
        if o is None: return None
    return o

def api_entry(md: str, link: Linker, module: str | None = None, lib: str = 'msgm_nb') -> tuple[str, str] | None:
    """nbdev's show_doc markdown as a page section `(anchor id, markdown)`: anchor (nbdev's id), [source], then the object as a
    Sphinx Python-domain entry (signature as written, parameters from the docments); nbdev's own body where the object is not found."""
    from nbdev.doclinks import NbdevLookup
    m = _RE_SHOWDOC.match(link(md, notebooks=False))
    if not m: return None
    name = m.group('name').strip()
    anchor = name.lower()
    src = f'<a class="api-source" href="{link.source(m.group("src"))}">[source]</a>' if m.group('src') else ''
    obj = _resolve(module, name, lib)
    if obj is None:
        return anchor, f'{m.group("h")} {name}\n\n<div class="api-entry" id="{anchor}">{src}</div>\n' + m.group('body').rstrip() + '\n'
    body = link(api_directive(obj, name, f'{lib}.{module}', NbdevLookup()), notebooks=False)
    return anchor, f'<div class="api-entry" id="{anchor}">{src}</div>\n\n' + body

def method_entries(module: str | None, cls_name: str, link: Linker, lib: str) -> list[str]:
    "show_doc entries (heading level 4) for the public methods of the exported class `cls_name` that `_modidx.py` lists."
    import importlib, inspect
    from nbdev.doclinks import NbdevLookup
    from nbdev.showdoc import show_doc
    if not module: return []
    mod, modidx = f'{lib}.{module}', importlib.import_module(f'{lib}._modidx').d
    cls, nl = getattr(importlib.import_module(mod), cls_name, None), NbdevLookup()
    names = [k[len(f'{mod}.{cls_name}.'):] for k in modidx['syms'].get(mod, {}) if k.startswith(f'{mod}.{cls_name}.')]
    out = []
    for m in (n for n in names if not n.startswith('_') and cls is not None):
        fn = getattr(cls, m)
        md = show_doc(fn, name=f'{cls_name}.{m}', title_level=4)._repr_markdown_()
        try: md = md.replace('#LNone)', f'#L{inspect.getsourcelines(inspect.unwrap(getattr(fn, "__func__", getattr(fn, "fget", fn))))[1]})')  # nbdev finds no line for methods and properties
        except (TypeError, OSError): pass
        entry = api_entry('\n'.join(nl.link_line(l) for l in md.split('\n')), link, module, lib)
        if entry: out.append(entry[1])
    return out

def _md_cell(src: str) -> dict: return {'cell_type': 'markdown', 'metadata': {}, 'source': src}

def _directives(src: str) -> tuple[dict, str]:
    "nbdev's `#| key: value` lines as a dict, and the source without them."
    lines = src.split('\n')
    dirs = dict((m.group(1), (m.group(2) or '').strip()) for l in lines if (m := re.match(r'#\|\s*([\w-]+):?(.*)$', l)))
    return dirs, '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')

def clean_output(o: dict, link: Linker) -> dict | None:
    "An output as the site shows it, or None: no stderr (warnings, progress bars), no progress lines, no widget views."
    if o['output_type'] == 'stream':
        if o.get('name') == 'stderr': return None
        text = _RE_ANSI.sub('', ''.join(o['text']))
        keep = [l for l in text.split('\n') if not _RE_PROGRESS.search(l)]
        return {**o, 'text': '\n'.join(keep)} if ''.join(keep).strip() else None
    if o['output_type'] not in ('display_data', 'execute_result'): return o
    data = {k: v for k, v in o.get('data', {}).items() if 'widget' not in k}
    if len(data) < len(o.get('data', {})) and set(data) <= {'text/plain'}: return None   # a widget's text stand-in
    if 'text/markdown' in data: data['text/markdown'] = link(''.join(data['text/markdown']))
    for path in re.findall(r'\bsrc="([^":?#]+)"', ''.join(data.get('text/html', ''))):   # files an HTML output loads, relative to nbs/
        if (ROOT / 'nbs' / path).is_file(): link.assets.add(path)
    return {**o, 'data': data}

def code_cells(c: dict, page: dict, link: Linker, lib: str) -> list[dict]:
    "A processed code cell as zero or more cells of the page (a show_doc cell becomes markdown API entries)."
    dirs, src = _directives(''.join(c.get('source', '')))
    if dirs.get('include', '').lower() == 'false': return []
    if 'output' in dirs and dirs['output'] == 'asis' and re.match(r'show_doc\(', src):
        mds = [''.join(o['data']['text/markdown']) for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
        entries = [e for e in (api_entry(md, link, page['module'], lib) for md in mds) if e]
        extra = [x for md in mds if (mm := _RE_SHOWDOC.match(link(md, notebooks=False))) and '.' not in mm.group('name')
                 for x in method_entries(page['module'], mm.group('name').strip(), link, lib)]
        return [_md_cell(md) for _, md in entries] + [_md_cell(m) for m in extra]
    outs = [o for o in (clean_output(o, link) for o in c.get('outputs', [])) if o]
    tags = (['remove-input'] if dirs.get('echo', '').lower() == 'false' else []) + \
           (['remove-output'] if dirs.get('output', '').lower() == 'false' else [])
    if not src.strip() and not outs: return []
    return [{**c, 'source': src, 'outputs': outs, 'metadata': {'tags': tags} if tags else {}}]

def page_cells(page: dict, link: Linker, lib: str) -> list[dict]:
    "The cells of one page: title and description first, then the notebook's cells."
    head = f"# {page['title']}\n\n" + (f"{{.page-description}}\n{page['description']}\n" if page['description'] else '')
    if page['module']:   # the module's import path, and its entry in the module index
        head += (f"\n```{{py:module}} {lib}.{page['module']}\n```\n\n{{.api-module}}\nImport path: `{lib}.{page['module']}` "
                 f"(`from {lib}.{page['module']} import ...`)\n")
    cells, section = [_md_cell(head)], page['title']
    for c in page['nb']['cells']:
        src = ''.join(c.get('source', ''))
        if c['cell_type'] == 'markdown' and 'AUTOGENERATED' not in src:
            cells.append(_md_cell(link(src)))
            if hs := re.findall(r'^#{1,4} (.+)$', src, re.M): section = re.sub(r'[`*$\\]', '', hs[-1]).strip()
        elif c['cell_type'] == 'code':
            for cc in code_cells(c, page, link, lib):   # a figure's alt text: the section it belongs to (not a hashed file name)
                if any('image/png' in o.get('data', {}) for o in cc.get('outputs', [])):
                    cc['metadata'] = {**cc.get('metadata', {}), 'mystnb': {'image': {'alt': f'Figure: {section}'}}}
                cells.append(cc)
    return cells

def toctree(pages: list[dict]) -> str:
    "The hidden toctrees that give the sidebar its order and groups (notebook order)."
    groups = {}
    for p in pages[1:]:
        cap = caption(p['stem'])
        groups.setdefault(cap, []).append(p['page'])
    return '\n'.join(f"```{{toctree}}\n:hidden:\n:caption: {cap}\n\n" + '\n'.join(names) + '\n```\n' for cap, names in groups.items())

def source_page(py: Path, nb_page: str | None) -> str:
    "A module's source as a page (orphan: not in the sidebar) with line anchors `L-<n>` for the `[source]` links."
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    html = highlight(py.read_text(encoding='utf-8'), PythonLexer(),
                     HtmlFormatter(linenos='inline', lineanchors='L', anchorlinenos=True, cssclass='highlight'))
    made = f'Generated by `nbdev_export` from [its notebook](../{nb_page}.html); edit the notebook, not this file.\n\n' if nb_page else ''
    return f"---\norphan: true\nnosearch: true\n---\n\n# {py.parent.name}/{py.name}\n\n{made}~~~~{{raw}} html\n{html}\n~~~~\n"

def stage(proc: Path) -> dict:
    "Write the Sphinx sources into STAGE; returns counts (pages, API entries) and the files HTML outputs load (`assets`)."
    if STAGE.exists(): shutil.rmtree(STAGE)
    (STAGE / 'source').mkdir(parents=True)
    settings, ps = _settings(), pages(proc)
    link, n_api = Linker(settings, ps), 0
    for p in ps:
        cells = page_cells(p, link, settings['lib'])
        if p['stem'] == 'index': cells.append(_md_cell(toctree(ps)))
        n_api += sum('<div class="api-entry"' in c['source'] for c in cells if c['cell_type'] == 'markdown')
        meta = {'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'},
                'language_info': {'name': 'python', 'pygments_lexer': 'ipython3'}}
        cells = [{**c, 'id': f'c{i}'} for i, c in enumerate(cells)]
        nb = {'cells': cells, 'metadata': meta, 'nbformat': 4, 'nbformat_minor': 5}
        (STAGE / f"{p['page']}.ipynb").write_text(json.dumps(nb, indent=1), encoding='utf-8')
    nb_of = {p['module']: p['page'] for p in ps if p['module']}
    for py in sorted((ROOT / settings['lib']).glob('[!_]*.py')):
        (STAGE / 'source' / f'{py.stem}.md').write_text(source_page(py, nb_of.get(py.stem)), encoding='utf-8')
    return dict(pages=len(ps), api_entries=n_api, assets=sorted(link.assets))

# --- 3. Sphinx -----------------------------------------------------------------------------------------------------------

_RE_MAIN = re.compile(r'<article[^>]*role="main"[^>]*>(.*?)</article>', re.S)
_RE_INLINE = re.compile(r'</?(span|a|em|strong|code|b|i|sub|sup|wbr)\b')
_RE_KEEP = re.compile(r'<(/?)section(\s+id="[^"]*")?[^>]*>|<[^>]+>', re.S)

def page_text(html: str) -> str:
    "A page's main content as the search summaries read it: plain text, with its `<section id=...>` blocks kept for anchored hits."
    m = _RE_MAIN.search(html)
    body = re.sub(r'<(script|style)[^>]*>.*?</\1>|<a class="headerlink"[^>]*>.*?</a>', ' ', m.group(1) if m else '', flags=re.S)
    body = _RE_KEEP.sub(lambda t: (f'<{t.group(1)}section{t.group(2) or ""}>' if t.group(0).startswith(('<section', '</section'))
                                   else '' if _RE_INLINE.match(t.group(0)) else ' '), body)   # inline tags join their text
    return '<div role="main">' + re.sub(r'\s+', ' ', body).strip() + '</div>'

def write_snippets(html: Path) -> int:
    """`_static/search-snippets.js`: every searchable page's text, which `search-snippets-loader.js` hands to the search page's
    summaries when the site is opened from `file://` (where browsers refuse the `fetch` of each hit's page). Returns its size."""
    pages = {}
    for p in sorted(html.rglob('*.html')):
        rel = p.relative_to(html)
        if rel.parts[0] in ('_static', 'source') or rel.name in ('search.html', 'genindex.html', 'py-modindex.html'): continue
        pages[rel.with_suffix('').as_posix()] = page_text(p.read_text(encoding='utf-8'))
    js = 'window.MSGM_SNIPPETS = ' + json.dumps(pages, ensure_ascii=False) + ';\n'
    (html / '_static' / 'search-snippets.js').write_text(js, encoding='utf-8')
    return len(js)

def build(out: Path, assets=()) -> None:
    "Sphinx (myst-nb, Furo) from STAGE into `out`, with the local MathJax and the `assets` (paths relative to nbs/) beside the pages."
    html, warn = PROC / 'html', PROC / 'sphinx-warnings.txt'   # myst-nb writes beside the output folder, so build inside _proc/
    if html.exists(): shutil.rmtree(html)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-j', 'auto', '-c', str(CONF), '-d', str(PROC / 'doctrees'),
           '-w', str(warn), str(STAGE), str(html)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    n = len([l for l in warn.read_text().splitlines() if 'WARNING' in l or 'ERROR' in l]) if warn.exists() else 0
    print(f'docs: Sphinx finished with {n} warning(s)' + (f' (see {warn.relative_to(ROOT)})' if n else ''))
    if MATHJAX_SRC.exists():
        shutil.copytree(MATHJAX_SRC, html / '_static' / 'mathjax', ignore=shutil.ignore_patterns('test', 'unpacked'))
    else: print('docs: WARNING Debian libjs-mathjax is missing (make install adds it as root): the pages will show raw TeX')
    for a in assets:
        (html / a).parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(ROOT / 'nbs' / a, html / a)
    (html / '.nojekyll').touch()
    write_snippets(html)
    if out.exists(): shutil.rmtree(out)
    shutil.move(str(html), str(out))

def render_offline(out: Path = DOCS) -> dict:
    "nbdev processing, staging and Sphinx into `out`; returns the counts and timings it prints."
    t0 = time.time()
    proc = process(); t1 = time.time()
    counts = stage(proc); t2 = time.time()
    build(out, counts['assets']); t3 = time.time()
    print(f"docs: {counts['pages']} notebook pages, {counts['api_entries']} API entries -> {out}/index.html "
          f"(nbdev processing {t1 - t0:.0f} s, staging {t2 - t1:.0f} s, Sphinx {t3 - t2:.0f} s, total {t3 - t0:.0f} s)")
    return dict(counts, seconds=t3 - t0)

if __name__ == '__main__':
    import argparse
    ap = argparse.ArgumentParser(description='Render the docs site (nbdev_docs with Quarto, else offline with Sphinx).')
    ap.add_argument('--out', default=str(DOCS), help='output folder of the offline build (default _docs/)')
    ap.add_argument('--offline', action='store_true', help='use the offline build even when Quarto is on PATH')
    a = ap.parse_args()
    if shutil.which('quarto') and not a.offline:
        subprocess.run([str(Path(sys.executable).parent / 'nbdev_docs')], cwd=ROOT, check=True)
    else:
        import importlib.util
        missing = [m for m in ('sphinx', 'myst_nb', 'furo') if importlib.util.find_spec(m) is None]
        if missing: sys.exit(f"docs: the offline build needs {', '.join(missing)} (settings.ini dev_requirements): "
                             f"{Path(sys.executable).parent}/pip install -e '.[dev]'")
        print('docs: rendering offline with nbdev processing + Sphinx (myst-nb, Furo) and a local MathJax')
        render_offline(Path(a.out).resolve())
