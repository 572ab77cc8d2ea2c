/* CityWall pages — a link to a page of another kind is a full page load.
 *
 * The kinds of page load different things (dashboard/pages.py page_assets): the wall the light
 * cartesian plotly.js bundle and no Bootstrap, a drill-down page the cartesian bundle and Bootstrap's
 * CSS, the department page plotly's full bundle (its sankey) and Bootstrap's CSS. Dash links one
 * window.Plotly for the whole app, so Dash's in-place routing may only move between pages of one kind.
 * The server writes each page's kind and the kinds of every path into the page (#cw-page-kinds); a click on a link to a path of another kind loads it
 * as a new page. wall-nav.js's navigation (CityWall.go) asks the same question.
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var table = null;

  function kinds() {
    if (table) return table;
    var el = document.getElementById('cw-page-kinds');
    var data = { kind: 'wall', pages: [] };
    try { if (el) data = JSON.parse(el.textContent); } catch (e) { /* keep the default */ }
    table = { kind: data.kind, pages: data.pages.map(function (p) { return [new RegExp('^(?:' + p[0] + ')$'), p[1]]; }) };
    return table;
  }

  // the kind of the page a path opens (a path no page matches is the 404 page, a wall page)
  CW.pageKind = function (path) {
    var bare = String(path || '').replace(/^\/+|\/+$/g, '');
    try { bare = decodeURIComponent(bare); } catch (e) { /* keep it encoded */ }
    var pages = kinds().pages;
    for (var i = 0; i < pages.length; i++) if (pages[i][0].test(bare)) return pages[i][1];
    return 'wall';
  };

  // true when an address of this app opens a page of another kind than this one
  CW.leavesPageKind = function (href) {
    var url;
    try { url = new URL(href, window.location.href); } catch (e) { return false; }
    return url.origin === window.location.origin && CW.pageKind(url.pathname) !== kinds().kind;
  };

  // document capture: after wall-nav.js (window capture: the kiosk lock, the back link), before Dash's links
  document.addEventListener('click', function (ev) {
    if (ev.defaultPrevented || ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    var link = ev.target && ev.target.closest ? ev.target.closest('a[href]') : null;
    if (!link || link.target || !CW.leavesPageKind(link.getAttribute('href'))) return;
    ev.preventDefault();
    ev.stopPropagation();
    window.location.assign(link.getAttribute('href'));
  }, true);
})();
