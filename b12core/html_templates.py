"""HTML pages and fragments from the Jinja2 templates in ``b12core/templates/``.

Autoescaping is on for every template: each value a template writes is HTML-escaped unless it is
``markupsafe.Markup``. Text from the files or the user is never made ``Markup``; only our own
fragments that are already HTML (plotly's figure, the markers table rendered by its own template)
are, where they are passed in, with a comment saying why. A name a template uses and the caller did
not pass is an error, not an empty string (``StrictUndefined``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2


@cache
def _environment() -> jinja2.Environment:
    """The one environment (it caches the compiled templates)."""
    import jinja2  # here, not at the top: the command line's table commands never render a page

    return jinja2.Environment(loader=jinja2.PackageLoader("b12core", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def render(template: str, **values: Any) -> str:
    """The template named ``template`` (a file in ``b12core/templates/``) filled in with ``values``."""
    return _environment().get_template(template).render(**values)


def plain_table_html(columns: dict[str, list[Any]]) -> str:
    """A small table (column name -> cells) as an HTML fragment whose every cell is escaped text:
    for words anyone may have typed (a link's label, a recipient's name), which a Markdown table
    would turn into live links and images."""
    headers = list(columns)
    rows = [[str(c) for c in row] for row in zip(*columns.values(), strict=True)] if columns else []
    return render("plain_table.html", headers=headers, rows=rows)
