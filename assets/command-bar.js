/* CityWall command bar (一句话响应): layouts/command_bar.py, callbacks/command_bar.py.
 *
 * Clientside callbacks (dash_clientside.cmdbar): Enter opens the view the server composed for the
 * sentence (at once when it is there, else as soon as it arrives), the history of recent sentences
 * per user (a dcc.Store in localStorage: {user: [sentence, …]}, newest first; the server names the user), a click on a
 * suggestion or a past sentence puts it in the box. Hotkeys: "/" focuses the bar (not while typing
 * in another field), Escape clears the box, and blurs it when it is empty already.
 * Navigation goes through CityWall.go (wall-nav.js): within the app, a full load only to a page of
 * the other kind (pages.js). Loaded from assets/: the Content-Security-Policy allows no inline script.
 */
(function () {
  'use strict';

  var KEPT = 20;
  var SETTLE_MS = 250; // the server hears the sentence once typing pauses this long
  var typedAt = {}; // bar → the count of values typed: a value settles when no later one came
  var NO = function () { return window.dash_clientside.no_update; };

  function barName() {
    var out = window.dash_clientside.callback_context.outputs_list;
    out = Array.isArray(out) ? out[0] : out;
    return out && out.id ? out.id.bar : '';
  }

  function triggered() {
    var t = window.dash_clientside.callback_context.triggered || [];
    return t.length ? t[0] : null;
  }

  // the history of the caller the server named ({user, allowed}); none before it has
  function own(history, caller) {
    if (!caller || !caller.allowed) return [];
    var list = history && typeof history === 'object' ? history[caller.user || ''] : null;
    return Array.isArray(list) ? list.filter(function (s) { return typeof s === 'string'; }) : [];
  }

  function remembered(history, caller, sentence) {
    if (!caller || !caller.allowed) return NO();
    var next = Object.assign({}, history && typeof history === 'object' ? history : {});
    next[caller.user || ''] = [sentence].concat(own(history, caller).filter(function (s) { return s !== sentence; }))
      .slice(0, KEPT);
    return next;
  }

  function open(url) {
    // after Dash has applied this callback's outputs (the history is saved before the page changes)
    window.setTimeout(function () {
      if (window.CityWall && window.CityWall.go && window.CityWall.go(url)) return;
      window.location.assign(url);
    }, 0);
  }

  function input(bar) {
    var root = document.getElementById(JSON.stringify({ bar: bar, type: 'cmdbar-root' }));
    return (root || document).querySelector('.cw-cmdbar-input input');
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cmdbar: {
      // the box's value, once typing has paused (a Promise: Dash waits for it)
      settle: function (value) {
        var bar = barName();
        var mine = (typedAt[bar] = (typedAt[bar] || 0) + 1);
        return new Promise(function (resolve) {
          window.setTimeout(function () { resolve(mine === typedAt[bar] ? value : NO()); }, SETTLE_MS);
        });
      },
      // Enter: the view of the sentence in the box, now or when the server has composed it
      submit: function (nSubmit, view, value, pending, history, caller) {
        var t = triggered();
        var box = input(barName());
        // the box itself (what settles next): Enter may come before typing has settled
        var typed = box ? box.value : String(value || '');
        var sentence = typed.trim();
        if (t && t.prop_id.indexOf('n_submit') >= 0) {
          if (!sentence) return [NO(), NO()];
          if (!(view && view.url && view.sentence === typed)) return [typed, NO()];
        } else if (!(pending && view && view.url && view.sentence === pending && pending === typed)) {
          return [NO(), NO()];
        }
        open(view.url);
        return [null, remembered(history, caller, sentence)];
      },
      // a suggestion (its whole sentence) or a past sentence (run at once) into the box
      fill: function (suggestionClicks, pastClicks, view, history, caller) {
        var t = triggered();
        if (!t || !t.value) return [NO(), NO()];
        var id = JSON.parse(t.prop_id.slice(0, t.prop_id.lastIndexOf('.')));
        var box = input(id.bar);
        if (id.type === 'cmdbar-suggestion') {
          var sentences = (view && view.suggestions) || [];
          if (typeof sentences[id.index] !== 'string') return [NO(), NO()];
          if (box) box.focus();
          return [sentences[id.index], NO()];
        }
        var past = own(history, caller)[id.index];
        if (typeof past !== 'string') return [NO(), NO()];
        return [past, past];
      },
      show: function (caller) {
        return caller && caller.allowed ? 'cw-cmdbar' : 'cw-cmdbar is-off';
      },
      history: function (history, caller) {
        var bar = barName();
        var list = own(history, caller);
        if (!list.length) return [];
        return [{ namespace: 'dash_html_components', type: 'Div', props: { children: '最近的句子', className: 'cw-cmdbar-kind' } }]
          .concat(list.map(function (sentence, i) {
            return { namespace: 'dash_html_components', type: 'Button',
                     props: { id: { type: 'cmdbar-past', bar: bar, index: i }, children: sentence, n_clicks: 0,
                              type: 'button', className: 'cw-cmdbar-past' } };
          }));
      }
    }
  });

  function typing(el) {
    if (!el || el === document.body) return false;
    var tag = (el.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable;
  }

  // the value a person would type: React (dcc.Input) hears the input event and tells Dash
  function setValue(el, value) {
    Object.getOwnPropertyDescriptor(window.HTMLInputElement.prototype, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // a press on the panel's buttons (a chip's ×, a suggestion) keeps the focus in the box: the panel
  // stays open while the chips are drawn anew (the button pressed is gone then)
  document.addEventListener('mousedown', function (ev) {
    var hit = ev.target && ev.target.closest ? ev.target.closest('.cw-cmdbar-panel button, .cw-cmdbar-panel summary') : null;
    if (hit) ev.preventDefault();
  });

  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var target = ev.target;
    if (ev.key === '/' && !typing(target)) {
      var box = document.querySelector('.cw-cmdbar-input input');
      if (!box) return;
      ev.preventDefault();
      box.focus();
      box.select();
    } else if (ev.key === 'Escape' && target && target.closest && target.closest('.cw-cmdbar-input')) {
      ev.preventDefault();
      if (target.value) setValue(target, '');
      else target.blur();
    } else if ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && target && target.closest && target.closest('.cw-cmdbar')) {
      // ↓ / ↑ walk the box, the suggestions and the recent sentences; Enter on one picks it
      var bar = target.closest('.cw-cmdbar');
      var stops = [bar.querySelector('.cw-cmdbar-input input')].concat(Array.prototype.slice.call(
        bar.querySelectorAll('.cw-cmdbar-suggestion, .cw-cmdbar-past')).filter(function (b) { return b.offsetParent; }));
      var at = stops.indexOf(target);
      if (at < 0 || stops.length < 2) return;
      ev.preventDefault();
      stops[(at + (ev.key === 'ArrowDown' ? 1 : stops.length - 1)) % stops.length].focus();
    }
  });
})();
