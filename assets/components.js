/* CityWall's Dash component (namespace "citywall"; Python side: layouts/markup.py).
 *
 * HtmlBlock: one element holding markup the server rendered and escaped from Dash html components.
 * The wall's read-only panels are one of these each instead of hundreds of Dash components, which
 * dash-renderer would re-check on every store update. Loaded from assets/, before dash-renderer
 * starts, like any component library's bundle.
 */
(function () {
  'use strict';

  var React = window.React;

  function HtmlBlock(props) {
    var attrs = { className: props.className, style: props.style, dangerouslySetInnerHTML: { __html: props.html || '' } };
    if (typeof props.id === 'string') attrs.id = props.id;
    for (var key in props) {
      if (key.indexOf('data-') === 0 || key.indexOf('aria-') === 0) attrs[key] = props[key];
    }
    return React.createElement(props.tag || 'div', attrs);
  }

  window.citywall = Object.assign(window.citywall || {}, { HtmlBlock: React.memo(HtmlBlock) });
})();
