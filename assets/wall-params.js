/* CityWall wall — the URL parameters (kiosk, rotate, view, scale, screen), checked in the browser with the same
 * rules as layouts/wall_params.py on the server: a value over 64 characters is ignored; rotate is a
 * plain decimal number of seconds, 0 = off, any other finite number clamped into 5–3600; inf, 1e309,
 * NaN or text fall back to the default, as do an unknown view, scale or kiosk value. Each correction
 * gives a Chinese notice (the same words as the server's; they never repeat the value).
 *
 * CityWall.wallParams(search, cfg) → {kiosk, rotate, view, scale, screen, notices, search}: ``search`` is the
 * query string of the valid parameters only, which wall.js puts in the address bar.
 * CityWall.safeDelay(ms): a timer delay a browser can hold (setTimeout overflows past 2^31 − 1 ms and
 * then fires at once, again and again).
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var ROTATE_MIN = 5, ROTATE_MAX = 3600, MAX_LENGTH = 64, MAX_DELAY = 2147483647;
  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var SCREEN_NAME = /^[0-9A-Za-z_\-\u4e00-\u9fff]{1,32}$/;
  var TRUE_WORDS = ['1', 'true', 'yes', 'on'], FALSE_WORDS = ['0', 'false', 'no', 'off', ''];
  var MODES = ['fit', 'fill-width', 'stretch'];
  var MODE_LABELS = { 'fit': '适应', 'fill-width': '铺满宽度', 'stretch': '拉伸' };

  function clampRotate(seconds) {
    if (seconds === 0) return 0;
    return Math.min(ROTATE_MAX, Math.max(ROTATE_MIN, Math.round(seconds)));
  }

  function safeDelay(ms) {
    return isFinite(ms) ? Math.min(MAX_DELAY, Math.max(0, ms)) : MAX_DELAY;
  }

  function wallParams(search, cfg) {
    cfg = cfg || {};
    var query = new URLSearchParams(search || '');
    var notices = [], keep = [];

    function text(key) {
      var all = query.getAll(key);
      if (!all.length) return null;
      if (all.length > 1) { notices.push('参数 ' + key + ' 出现多次，已改用默认值'); return null; }
      if (all[0].length > MAX_LENGTH) {
        notices.push('参数 ' + key + ' 过长（超过 ' + MAX_LENGTH + ' 个字符），已忽略');
        return null;
      }
      return all[0].trim();
    }

    var kiosk = false, raw = text('kiosk');
    if (raw !== null && raw !== '') {
      if (TRUE_WORDS.indexOf(raw.toLowerCase()) >= 0) { kiosk = true; keep.push(['kiosk', '1']); }
      else if (FALSE_WORDS.indexOf(raw.toLowerCase()) < 0) notices.push('参数 kiosk 的值无效（可用 1 或 0），已按普通模式显示');
    }

    // the server's value is the default it fell back to (or its clamp of the URL's)
    var fallback = isFinite(cfg.rotate) ? clampRotate(Number(cfg.rotate) || 0) : 0;
    var rotate = fallback;
    raw = text('rotate');
    if (raw !== null && raw !== '') {
      var number = NUMBER.test(raw) ? Number(raw) : NaN;
      if (!isFinite(number)) {
        notices.push('参数 rotate 的值无效（应为秒数），已改用默认设置：' + (fallback ? '每 ' + fallback + ' 秒轮播' : '不轮播'));
      } else {
        rotate = clampRotate(number);
        if (number !== 0 && (number < ROTATE_MIN || number > ROTATE_MAX)) {
          notices.push('参数 rotate 超出范围（' + ROTATE_MIN + '–' + ROTATE_MAX + ' 秒，0 为不轮播），已按每 ' + rotate + ' 秒轮播');
        }
        keep.push(['rotate', String(rotate)]);
      }
    }

    var view = null, districts = cfg.districts || [];
    raw = text('view');
    if (raw !== null && raw !== '') {
      if (raw === 'city' || (raw.indexOf('district:') === 0 && districts.indexOf(raw.slice(9)) >= 0)) {
        view = raw;
        keep.push(['view', raw]);
      } else {
        notices.push('参数 view 不是本市的区县视图（应为 city 或 district:区县编码），已显示默认视图');
      }
    }

    var scale = MODES.indexOf(cfg.mode) >= 0 ? cfg.mode : 'fit';
    raw = text('scale');
    if (raw !== null && raw !== '') {
      if (MODES.indexOf(raw) >= 0) { scale = raw; keep.push(['scale', raw]); }
      else notices.push('参数 scale 的值无效（可用 ' + MODES.join(' / ') + '），已按「' + MODE_LABELS[scale] + '」显示');
    }

    // the screen's name for wall control (wall-control.js): the same rule as dashboard/wall_control.py
    var screen = null;
    raw = text('screen');
    if (raw !== null && raw !== '') {
      if (SCREEN_NAME.test(raw)) { screen = raw; keep.push(['screen', raw]); }
      else notices.push('参数 screen 无效（大屏名称只能用字母、数字、汉字、- 和 _，1–32 个字符），此屏不接受大屏控制');
    }

    var clean = new URLSearchParams();
    keep.forEach(function (kv) { clean.append(kv[0], kv[1]); });
    var out = clean.toString();
    return { kiosk: kiosk, rotate: rotate, view: view, scale: scale, screen: screen, notices: notices,
             search: out ? '?' + out : '' };
  }

  // the server's notices first; the browser's own only for parameters the server did not mention
  function mergeNotices(server, browser) {
    var named = {};
    var out = (server || []).slice();
    out.forEach(function (t) { var m = /^参数 (\w+)/.exec(t); if (m) named[m[1]] = true; });
    (browser || []).forEach(function (t) {
      var m = /^参数 (\w+)/.exec(t);
      if (!(m && named[m[1]]) && out.indexOf(t) < 0) out.push(t);
    });
    return out;
  }

  CW.clampRotate = clampRotate;
  CW.safeDelay = safeDelay;
  CW.wallParams = wallParams;
  CW.mergeNotices = mergeNotices;
})();
