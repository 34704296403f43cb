"""Bring verdict records made elsewhere (e.g. by tools/gpu_verdict.sh on a GPU machine) into nbs/results/verdict, or print a timeline.

  python tools/verdict_import.py ARCHIVE_OR_DIR [--into nbs/results/verdict]   copy every valid record that is not there yet
  python tools/verdict_import.py --timeline DIR [--since ISO-TIME]              one line per record: finished, seconds, device, row
A record is taken only if it reads as a run record whose hash matches its file name; existing records are never overwritten."""
import argparse, sys, tarfile, tempfile, shutil
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from msgm_nb.verdict import read_record, RecordError
from msgm_nb.core import atomic_write

def records(folder: Path):
    for p in sorted(folder.rglob('*.json')):
        if p.parent.parent != folder and p.parent != folder: continue
        try: yield p, read_record(p)
        except RecordError: continue

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('src'); ap.add_argument('--into', default='nbs/results/verdict')
    ap.add_argument('--timeline', action='store_true'); ap.add_argument('--since', default='')
    a = ap.parse_args(); src = Path(a.src)
    if a.timeline:
        rows = sorted((r['finished'], r['seconds'], r['device'], r['experiment'], r['row'], r['seed']) for _, r in records(src) if r['finished'] >= a.since)
        for f, s, d, e, row, seed in rows: print(f"{f}  {s:8.1f} s  {d:<28} {e:<20} {row} (seed {seed})")
        print(f"{len(rows)} record(s) finished since {a.since or 'ever'}"); return
    tmp = None
    if src.is_file():
        tmp = Path(tempfile.mkdtemp())
        with tarfile.open(src) as t: t.extractall(tmp, filter='data')
        src = tmp / 'verdict' if (tmp / 'verdict').is_dir() else tmp
    new = 0
    for p, r in records(src):
        dest = Path(a.into) / r['experiment'] / f"{r['hash']}.json"
        if dest.exists(): continue
        dest.parent.mkdir(parents=True, exist_ok=True); atomic_write(dest, p.read_text()); new += 1
    if tmp: shutil.rmtree(tmp)
    print(f"{new} new record(s) copied into {a.into}")

if __name__ == '__main__': main()
