/*
 * Safe DOM building and formatting for the Murmur sidebar.
 *
 * Everything the panel shows comes from social posts and profiles, i.e. from strangers, so
 * nodes are built with createElement and text with text nodes only: no innerHTML anywhere,
 * no inline event handler attributes, and href/src only ever hold http(s) URLs.
 */
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const URL_ATTRS = new Set(['href', 'src', 'xlink:href']);

  /** The absolute http(s) URL in `value`, or null for anything else (javascript:, data:, relative). */
  function safeUrl(value) {
    if (typeof value !== 'string' || value.trim() === '') {
      return null;
    }
    let url;
    try {
      url = new URL(value.trim());
    } catch (_) {
      return null;
    }
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (/^on/i.test(name)) {
        throw new Error('event handler attributes are not allowed: ' + name);
      }
      if (URL_ATTRS.has(name)) {
        const url = safeUrl(value);
        if (url) {
          node.setAttribute(name, url);
        }
        continue;
      }
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) {
        continue;
      }
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** An HTML element: `el('p', {class: 'note'}, 'text', otherNode)`. Strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    return append(node, children);
  }

  /** An SVG element, same calling convention as `el`. */
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    return append(node, children);
  }

  /** A link opening in a new tab when `url` is http(s); otherwise a plain span (no link). */
  function link(url, attrs, ...children) {
    const href = safeUrl(url);
    if (!href) {
      return el('span', { class: attrs && attrs.class }, ...children);
    }
    return el('a', Object.assign({}, attrs, { href, target: '_blank', rel: 'noopener noreferrer' }),
      ...children);
  }

  function parseTime(iso) {
    const time = new Date(iso);
    return Number.isNaN(time.getTime()) ? null : time;
  }

  function words() {
    return window.Murmur.i18n;
  }

  /** "just now", "5 min ago", "3 h ago", "2 d ago" (in the agent's language), then a short date. */
  function relativeTime(iso, now) {
    const time = parseTime(iso);
    if (!time) {
      return '';
    }
    const seconds = Math.max(0, Math.round(((now || Date.now()) - time.getTime()) / 1000));
    if (seconds < 60) {
      return words().t('just_now');
    }
    if (seconds < 3600) {
      return words().plural('minutes_ago', Math.floor(seconds / 60));
    }
    if (seconds < 86400) {
      return words().plural('hours_ago', Math.floor(seconds / 3600));
    }
    if (seconds < 30 * 86400) {
      return words().plural('days_ago', Math.floor(seconds / 86400));
    }
    const sameYear = time.getFullYear() === new Date(now || Date.now()).getFullYear();
    return time.toLocaleDateString(words().formatLocale(), sameYear
      ? { month: 'short', day: 'numeric' }
      : { month: 'short', day: 'numeric', year: 'numeric' });
  }

  /** The full date and time in the agent's locale and time zone, for a hover title. */
  function exactTime(iso) {
    const time = parseTime(iso);
    return time ? time.toLocaleString(words().formatLocale(), { dateStyle: 'medium', timeStyle: 'short' }) : '';
  }

  /** 1234 -> "1.2K" (compact, in the agent's locale). */
  function compactNumber(value) {
    return new Intl.NumberFormat(words().formatLocale(), { notation: 'compact', maximumFractionDigits: 1 })
      .format(Number(value) || 0);
  }

  /** A sentiment score with a sign and two decimals: "+0.42", "-0.21", "0.00". */
  function score(value) {
    const number = Number(value) || 0;
    const text = Math.abs(number).toFixed(2);
    return number > 0 && text !== '0.00' ? '+' + text : number < 0 && text !== '0.00' ? '\u2212' + text : text;
  }

  window.Murmur = Object.assign(window.Murmur || {}, {
    dom: { safeUrl, el, svg, link, relativeTime, exactTime, compactNumber, score },
  });
})();
