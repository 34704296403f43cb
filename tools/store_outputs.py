"""Run a notebook the way `nbdev_test` does (cells flagged `slow`, `gpu`, `notest` or `eval: false` are skipped) and store the outputs of the
cells that ran in the notebook, so the rendered pages show what the cells compute from the committed results.
  python tools/store_outputs.py nbs/19_convergence.ipynb [...] [--only TEXT ...]   (--only: store only cells whose source holds a TEXT)"""
import json, os, sys
from pathlib import Path
from execnb.shell import CaptureShell
from nbdev.test import working_directory
from nbdev.processors import NBProcessor, FrontmatterProc

def store(fn: Path, only=()) -> None:
    fn = fn.resolve(); flags = {'notest', 'slow', 'gpu'}
    nb = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    def skip(c):
        if c.cell_type != 'code': return True
        d = getattr(c, 'directives_', {}) or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(flags & d.keys())
    os.environ['IN_TEST'] = '1'
    with working_directory(fn.parent): CaptureShell(fn).run_all(nb, exc_stop=True, preproc=skip)
    ran = {c.id: c.get('outputs', []) for c in nb.cells if c.cell_type == 'code' and not skip(c)}
    raw = json.loads(fn.read_text())
    for c in raw['cells']:
        if c.get('id') in ran and (not only or any(t in ''.join(c['source']) for t in only)): c['outputs'] = [dict(o) for o in ran[c['id']]]
    fn.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    args = sys.argv[1:]; only = args[args.index('--only') + 1:] if '--only' in args else []
    for f in (args[:args.index('--only')] if '--only' in args else args): store(Path(f), only); print(f'stored outputs of {f}')
