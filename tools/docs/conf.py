"""Sphinx configuration of the offline docs site (`make docs` without Quarto; see tools/render_docs.py).

The sources are nbdev's processed notebooks, staged by tools/render_docs.py into a folder beside this file's build; myst-nb reads
them without executing anything (their outputs, and the `show_doc` API entries nbdev computed, are already in the notebooks)."""
project = 'msgm_nb'
author = 'msgm_nb developers'
copyright = '2026 onwards, msgm_nb developers'
root_doc = 'index'
import configparser, importlib.util, pathlib
_ini = configparser.ConfigParser()
_ini.read(pathlib.Path(__file__).resolve().parents[2] / 'settings.ini')
release = version = _ini['DEFAULT'].get('version', '')
extensions = ['myst_nb', 'sphinx.ext.mathjax'] + (['sphinx_copybutton'] if importlib.util.find_spec('sphinx_copybutton') else [])
copybutton_exclude = '.linenos, .gp'   # copy code, not line numbers or prompts
exclude_patterns = ['**/.ipynb_checkpoints']
suppress_warnings = ['myst.header', 'mystnb.unknown_mime_type', 'misc.highlighting_failure']

# notebooks: render the stored outputs, never execute; markdown outputs (show_doc, tables) are parsed like markdown cells
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
nb_merge_streams = True
myst_enable_extensions = ['dollarmath', 'amsmath', 'html_image', 'attrs_block']
myst_dmath_double_inline = True
myst_all_links_external = True   # the stager writes every link as its final relative href; docs-check verifies them
myst_heading_anchors = 0

# MathJax 2 served from the site itself (Debian's libjs-mathjax, copied into _static/mathjax by render_docs.py)
mathjax_path = 'mathjax/MathJax.js?config=TeX-AMS_CHTML'
myst_update_mathjax = False
mathjax2_config = {'messageStyle': 'none', 'tex2jax': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']],
                   'processEscapes': True}, 'TeX': {'noUndefined': {'disabled': True}}}   # an unknown macro is an error, not red text

html_theme = 'furo'
html_title = f'msgm_nb {release}'
html_static_path = ['_static']
html_css_files = ['custom.css']
html_js_files = ['search-snippets-loader.js']   # search summaries that work from file:// (see the file)
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = True   # from file:// the summaries read _static/search-snippets.js (render_docs.py)
html_last_updated_fmt = None
html_theme_options = {'navigation_with_keys': True, 'top_of_page_buttons': []}
pygments_style = 'friendly'

# API entries (Python-domain directives written by render_docs.py): long signatures one parameter per line
python_maximum_signature_line_length = 96
add_module_names = False
python_display_short_literal_types = True
