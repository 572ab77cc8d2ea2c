"""Server-rendered markup blocks (layouts/markup.py): escaping, attributes, and what they refuse."""
from __future__ import annotations

import orjson
from markupsafe import Markup
import pytest
from dash import dcc, html

from layouts import markup
from layouts.markup import HtmlBlock, css, html_block, to_html
from tests.components import texts


def test_to_html_escapes_text_and_attributes():
    out = to_html(html.Div(['<script>alert(1)</script> & "引号"'], title='a"b<c', **{"data-tip": "第一行\n第二行 <b>"}))
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert 'title="a&#34;b&lt;c"' in out
    assert 'data-tip="第一行\n第二行 &lt;b&gt;"' in out
    assert out.startswith("<div") and out.endswith("</div>")


def test_to_html_maps_react_props_to_html_attributes():
    out = to_html([html.Span("x", className="cw-a is-good", hidden=True, style={"--fill": "42.0%", "fontSize": 12,
                                                                              "opacity": 0.5, "width": None}),
                   html.Br(), dcc.Link("去", href="/district/D01", className="cw-drow"), 7, None])
    assert '<span class="cw-a is-good" hidden style="--fill:42.0%;font-size:12px;opacity:0.5">x</span>' in out
    assert "<br>" in out and "</br>" not in out
    assert '<a href="/district/D01" class="cw-drow">去</a>' in out
    assert out.endswith("7")


def test_css_keeps_custom_properties_and_unitless_numbers():
    assert css({"marginLeft": 4, "zIndex": 3, "--tick": "10%", "background": "var(--cw-accent)"}) == \
        "margin-left:4px;z-index:3;--tick:10%;background:var(--cw-accent)"


def test_to_html_refuses_what_markup_cannot_carry():
    with pytest.raises(TypeError, match="pattern-matching"):
        to_html(html.Div(id={"type": "wall-panel", "name": "x"}))
    with pytest.raises(TypeError, match="Graph"):
        to_html(html.Div(dcc.Graph(figure={})))


def test_html_block_is_one_component_in_the_layout_json():
    rows = [html.Li([html.Span("09:15"), html.Span("东湖区")], className="cw-ticker-row") for _ in range(20)]
    block = html_block(rows, id="wall-ticker-list", className="cw-ticker-list", tag="ul")
    data = orjson.loads(orjson.dumps(block.to_plotly_json()))
    assert data["type"] == "HtmlBlock" and data["namespace"] == "citywall"
    assert data["props"]["tag"] == "ul" and data["props"]["html"].count("<li") == 20
    assert texts(block) == "09:15东湖区" * 20
    assert html_block(Markup("<b>已转义</b>")).html == "<b>已转义</b>"  # markup passes as it is
    assert isinstance(block, HtmlBlock) and markup.HtmlBlock._namespace == "citywall"


def test_markup_takes_no_plain_string():
    """A plain string could be a source's HTML: only Markup made from components is rendered."""
    with pytest.raises(TypeError, match="普通字符串"):
        html_block("<img src=x onerror=alert(1)>")
    with pytest.raises(TypeError, match="Markup"):
        HtmlBlock(html="<script>alert(1)</script>")
    made = to_html(html.Li(["<script>alert(1)</script>", html.Span("<img src=x onerror=alert(1)>", title='"><b>')]))
    assert isinstance(made, Markup)
    assert "<script>" not in made and "<img" not in made and '"><b>' not in made
    assert "&lt;script&gt;" in made and 'title="&#34;&gt;&lt;b&gt;"' in made


def test_links_keep_only_web_and_app_addresses():
    made = to_html([dcc.Link("部门", href="javascript:alert(1)"), html.A("x", href=" JaVaScRiPt:alert(1)"),
                    dcc.Link("区县", href="/district/110101"), html.Div(**{"data-href": "data:text/html,x"})])
    assert "javascript" not in made.lower() and "data:text" not in made
    assert 'href="/district/110101"' in made
