"""The module map on the home page (nbs/index.ipynb, and so README.md) matches the code: one row per module of msgm_nb, in notebook
order, and its 'uses' column lists exactly the package modules that module imports (at the top or inside functions)."""
import ast, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / 'msgm_nb'

def _imports(path: Path) -> set:
    "The msgm_nb modules a module imports, relative or absolute, anywhere in the file."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module: out.add(node.module.split('.')[0])
            elif node.level == 0 and node.module and node.module.startswith('msgm_nb.'): out.add(node.module.split('.')[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split('.')[1] for a in node.names if a.name.startswith('msgm_nb.')}
    return out - {'_modidx', path.stem}

def _table() -> dict:
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    text = '\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')
    rows = re.findall(r'^\| `(\w+)` \| `msgm_nb\.(\w+)` \| [^|]+ \| ([^|]*) \|$', text, re.M)
    return {mod: (nbname, set(re.findall(r'`(\w+)`', uses))) for nbname, mod, uses in rows}

def test_every_module_has_a_row_with_its_notebook():
    table = _table()
    modules = {p.stem for p in PKG.glob('*.py') if not p.name.startswith('_')}
    assert set(table) == modules, f"rows without module: {set(table) - modules}; modules without row: {modules - set(table)}"
    for mod, (nbname, _) in table.items():
        nb = ROOT / 'nbs' / f'{nbname}.ipynb'
        assert nb.exists() and f'#| default_exp {mod}' in nb.read_text(), f'{nbname} does not export msgm_nb.{mod}'

def test_uses_column_matches_imports():
    for mod, (_, uses) in _table().items():
        assert uses == _imports(PKG / f'{mod}.py'), f"msgm_nb.{mod}: table says {sorted(uses)}, code imports {sorted(_imports(PKG / f'{mod}.py'))}"

def test_no_private_name_crosses_modules():
    for p in PKG.glob('*.py'):
        if p.name.startswith('_'): continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or '').startswith('msgm_nb')):
                private = [a.name for a in node.names if a.name.startswith('_')]
                assert not private, f'{p.name} imports private {private} from {node.module}'
