/* /incidents (事件 · 一张图): URL state. Plain JS, nothing fetched.
 *
 *  - a filter change builds the page's new URL and goes there through Dash's history route (a
 *    history entry, no reload): Dash Pages draws the page of that URL, so back goes one step back
 *    and a reload or a shared link shows the same view;
 *  - a click on the map, the heatmap or a category bar opens the URL in its point's customdata
 *    (the wall's own handler, citywall.navigate in assets/wall.js);
 *  - a link of server-rendered markup (data-nav) opens its URL in place, as a dcc.Link would;
 *  - the table's sort and page are written into the URL in place (replaceState: no new history
 *    entry, nothing redrawn), so a reload reopens the same page of the table.
 */
(function () {
  'use strict';

  var FILTERS = ['period', 'from', 'to', 'category', 'source', 'status'];

  function go(href) { // Dash's history route (assets/wall-nav.js), unless the view is already there
    if (href !== window.location.pathname + window.location.search) window.CityWall.go(href);
  }

  function baseParams(state) {
    var params = new URLSearchParams((state && state.search) || '');
    params.delete('page');
    return params;
  }

  function noUpdate() { return window.dash_clientside.no_update; }

  // a link in server-rendered markup (the hottest grids' list, layouts/markup.py) opens in place, as a dcc.Link
  document.addEventListener('click', function (ev) {
    if (ev.defaultPrevented || ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    var link = ev.target && ev.target.closest ? ev.target.closest('.cw-drill-page a[data-nav][href]') : null;
    if (!link) return;
    ev.preventDefault();
    go(link.getAttribute('href'));
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    incidents: {
      filters: function (period, from, to, category, source, status, state) {
        var trig = window.dash_clientside.callback_context.triggered || [];
        var changed = trig.length ? trig[0].prop_id.split('.')[0].replace('inc-', '') : '';
        var params = baseParams(state);
        var values = { period: period, from: from, to: to, category: category, source: source, status: status };
        if (changed === 'from' || changed === 'to') {
          if (!from || !to) return noUpdate();
          values.period = 'range';
        }
        FILTERS.forEach(function (key) { params.delete(key); });
        if (values.period && values.period !== '30d') params.set('period', values.period);
        if (values.period === 'range') { params.set('from', from); params.set('to', to); }
        ['category', 'source', 'status'].forEach(function (key) { if (values[key]) params.set(key, values[key]); });
        var search = params.toString();
        go('/incidents' + (search ? '?' + search : ''));
        return search;
      },

      tableState: function (table, state) {
        // the view the URL already gives (a /district/<id> address, or one with bad values shown as
        // notices) stays as it is until the table's sort or page changes
        if (!table || !state || (table.sort === state.sort && table.page === state.page)) return noUpdate();
        var params = new URLSearchParams((state && state.search) || '');
        if (table.sort && table.sort !== 'reported_at:desc') params.set('sort', table.sort); else params.delete('sort');
        if (table.page > 1) params.set('page', String(table.page)); else params.delete('page');
        var search = params.toString();
        var href = '/incidents' + (search ? '?' + search : '');
        if (href !== window.location.pathname + window.location.search) window.history.replaceState({}, '', href);
        var tail = search ? '?' + search : '';
        ['inc-download-csv', 'inc-download-xlsx'].forEach(function (id) {
          var a = document.getElementById(id);
          if (a) a.setAttribute('href', a.getAttribute('href').split('?')[0] + tail);
        });
        return noUpdate();
      }
    }
  });
})();
