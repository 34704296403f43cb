"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without needing Quarto).
`--check` exits 1 when README.md is out of date."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    parts = ['<!-- generated from nbs/index.ipynb by tools/readme.py (make test checks it is current); edit the notebook, not this file -->']
    for c in nb['cells']:
        src = ''.join(c['source'])
        lines = src.split('\n')
        directives = [l for l in lines if l.startswith('#|')]
        if any(d.split()[1:2] in (['hide'], ['export']) for d in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        if not body: continue
        if c['cell_type'] == 'markdown':   # links and images relative to nbs/ (notebooks, results) made relative to the root
            body = re.sub(r'\]\((?![a-z]+:|#|/)([^)\s]+)\)', r'](nbs/\1)', body)
        parts.append(body if c['cell_type'] == 'markdown' else f'```python\n{body}\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text = render(ROOT / 'nbs' / 'index.ipynb')
    readme = ROOT / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `.venv/bin/python tools/readme.py`')
        print('readme: README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text, encoding='utf-8'); print('wrote README.md')
