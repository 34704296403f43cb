"""Prose speaks of the method, the data and the measurements: no notebook (markdown or code comment) and not the README may talk
about how the project was made (sessions, leases, issue lists, "our machines") or cite a file a reader cannot open."""
import io, json, re, tokenize
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PROCESS_WORDS = re.compile(r"""\bsessions?\b | \bleases?\b | \bleased\b | \bissue[ -]lists?\b | \bthe[ ]issues?\b | \bissue[ ]\#?\d+
                               | \bour[ ]machines?\b | \bmachines?[ ]of[ ]ours\b | \bthis[ ]machine(?:'s)?\b | ALGORITHMS\.md""",
                           re.I | re.X)

def _comments(src: str) -> list[tuple[int, str]]:
    "(line, text) of each comment in a code cell; nbdev's `#|` directives are not prose."
    try: toks = [(t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):   # magics or unfinished code: fall back to whole-line comments
        toks = [(i, l.strip()) for i, l in enumerate(src.split('\n'), 1) if l.strip().startswith('#')]
    return [(i, c) for i, c in toks if not c.startswith('#|')]

def _name(p: Path) -> str: return str(p.relative_to(ROOT)) if ROOT in p.resolve().parents else p.name

def prose(path: Path):
    "Yield (where, text) for every piece of prose in a notebook (markdown lines, code comments) or a markdown file (lines)."
    if path.suffix != '.ipynb':
        for i, l in enumerate(path.read_text(encoding='utf-8').split('\n'), 1): yield f'{_name(path)}:{i}', l
        return
    for n, c in enumerate(json.loads(path.read_text(encoding='utf-8'))['cells']):
        src = ''.join(c['source'])
        lines = enumerate(src.split('\n'), 1) if c['cell_type'] == 'markdown' else _comments(src) if c['cell_type'] == 'code' else []
        for i, text in lines: yield f'{_name(path)} cell {n} line {i}', text

def hits(paths) -> list[str]:
    return [f'{where}: {m.group(0)!r} in {text.strip()[:120]!r}' for p in paths for where, text in prose(p)
            for m in PROCESS_WORDS.finditer(text)]

def test_the_scanner_finds_process_words(tmp_path):
    nb = {'cells': [{'cell_type': 'markdown', 'metadata': {}, 'source': ['The method.\n', 'This session could not afford it.']},
                    {'cell_type': 'code', 'metadata': {}, 'outputs': [], 'execution_count': None,
                     'source': ['#| export\n', 'x = "the issue list"  # No machine of ours has a GPU\n', 'y = 1  # see ALGORITHMS.md']}],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    p = tmp_path / 'nb.ipynb'; p.write_text(json.dumps(nb))
    found = hits([p])
    assert len(found) == 3, found                      # the string literal is code, not a comment
    assert found[0].endswith("'session' in 'This session could not afford it.'") and 'cell 0 line 2' in found[0]
    assert "'machine of ours'" in found[1] and 'cell 1 line 2' in found[1] and "'ALGORITHMS.md'" in found[2]
    assert hits([tmp_path / 'nb.ipynb']) == found and not list(PROCESS_WORDS.finditer('score matching on a 2-core CPU'))

def test_the_paper_and_code_page_speaks_of_the_subject():
    found = hits([ROOT / 'nbs' / 'algorithms.ipynb'])
    assert not found, 'process words in nbs/algorithms.ipynb:\n' + '\n'.join(found)

def test_notebooks_and_readme_speak_of_the_subject():
    paths = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_')) + [ROOT / 'README.md']
    found = hits(paths)
    assert not found, f'{len(found)} process words (file, cell and line):\n' + '\n'.join(found)
