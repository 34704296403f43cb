"""Packaging driven by settings.ini (the nbdev 2 convention)."""
from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
reqs = cfg.get('requirements', '').split()
dev_reqs = cfg.get('dev_requirements', '').split()
hub_reqs = cfg.get('hub_requirements', '').split()  # msgm_nb.hub: pretrained diffusers models in and out
scripts = [s.strip() for s in cfg.get('console_scripts', '').split('\n') if s.strip()]

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    author=cfg['author'], author_email=cfg['author_email'], license='Apache-2.0',
    url=cfg['git_url'], packages=setuptools.find_packages(include=['msgm_nb', 'msgm_nb.*']),
    include_package_data=True, install_requires=reqs, extras_require={'dev': dev_reqs, 'hub': hub_reqs},
    python_requires='>=' + cfg['min_python'], zip_safe=False,
    long_description=Path('README.md').read_text(encoding='utf-8') if Path('README.md').exists() else cfg['description'], long_description_content_type='text/markdown',
    entry_points={'console_scripts': scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
