"""A lesson to hand out: one self-contained HTML page of a design (``python -m neuwidgets
render design.json --html lesson.html``) that opens offline, in any browser.

It holds the design as a table (every layer, its settings and each parameter's
initializer), the weight panel of every distinct parameter variable, the depth chart
with the design's pins, and the code that rebuilds the design. Images are PNGs inside
the page (``data:`` URLs); nothing is loaded from elsewhere and no script runs. Every
value that comes from the design is HTML-escaped: a design file is untrusted input.
"""
import base64
import html

from . import plotting, stats
from .shapes import format_shape

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em;
       color: #222; background: #fff; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.92em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.panels { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-size: 0.9em; }
@media (prefers-color-scheme: dark) { body { color: #ddd; background: #1e1e1e; } pre { background: #2a2a2a; }
  th, td { border-color: #444; } }
"""


def _image(png, alt):
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{html.escape(alt)}">'


def _settings(entry, kind):
    return ", ".join(f"{field.name}={entry[field.name]!r}" for field in kind.fields
                     if entry[field.name] is not None) or "—"


def _parameter_text(value):
    if value is None:
        return "none"
    if "link" in value:
        return f"shares the variable of {value['link']}" + (" (transposed)" if value.get("transpose") else "")
    if "values" in value:
        return "fixed values"
    config = value["initializer"]
    return f"{config['name']}({', '.join(f'{key}={item!r}' for key, item in config['params'].items())})"


def lesson_html(spec, network, title):
    """The page of ``spec`` (a :class:`~neuwidgets.spec.NetworkSpec`) and ``network``,
    its built :class:`~neuwidgets.network.Network`, under ``title`` (text: escaped).
    Returns the HTML text."""
    from .layers import KINDS
    escape = html.escape
    rows = []
    for entry, layer in zip(spec.layers, network.layers):
        parameters = "<br>".join(f"<b>{escape(name)}</b>: {escape(_parameter_text(value))}"
                                 for name, value in (entry.get("parameters") or {}).items()) or "—"
        rows.append(f"<tr><td>{escape(entry['name'])}</td><td>{escape(entry['kind'])}</td>"
                    f"<td>{escape(_settings(entry, KINDS[entry['kind']]))}</td>"
                    f"<td>{escape(format_shape(layer.output_shape))}</td><td>{parameters}</td></tr>")
    panels = []
    for record in stats.weight_stats(network):
        caption = f"{record.parameter} of {', '.join(record.layers)} · {record.label} · {record.shape}"
        panels.append(f"<figure>{_image(plotting.panel_png(record), caption)}"
                      f"<figcaption>{escape(caption)}</figcaption></figure>")
    records = stats.activation_stats(network, n_samples=256, bins=None)
    pins = spec.data.get("pins", [])
    chart = _image(plotting.depth_chart_png(records, width_px=1000, height_px=380, pins=pins),
                   "activation and gradient std through depth")
    pinned = "".join(f"<li>{escape(pin['label'])}</li>" for pin in pins)
    seed = spec.data.get("seed")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(repr(network))} · {network.n_parameters:,} trainable parameters{
        f" · seed {seed}" if seed is not None else ""}</p>
<h2>The design</h2>
<table><thead><tr><th>layer</th><th>kind</th><th>settings</th><th>output shape</th><th>parameters</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Initial parameter distributions</h2>
<div class="panels">{"".join(panels) or "<p>This network has no parameters.</p>"}</div>
<h2>The signal through depth</h2>
{chart if records else "<p>No layers after the input.</p>"}
{f"<p>Pinned for comparison (dotted lines):</p><ul>{pinned}</ul>" if pinned else ""}
<h2>The code</h2>
<pre><code>{escape(spec.to_code())}</code></pre>
</body></html>
"""
