/*
 * The sidebar's words: a plain JSON catalogue per language in i18n/ (English complete), chosen
 * from the agent's Zendesk locale ("de-CH" -> de), falling back to English string by string.
 * Loaded with fetch from beside this script: no inline script, nothing the CSP must allow.
 */
(function () {
  'use strict';

  const here = document.currentScript.src;

  let strings = {};
  let language = 'en';
  let formatLocale;

  async function catalogue(name) {
    const answer = await fetch(new URL(`i18n/${name}.json`, here), { credentials: 'omit' });
    if (!answer.ok) {
      throw new Error(`no catalogue for ${name}`);
    }
    return answer.json();
  }

  /** Load English and the catalogue closest to `locale`; English alone if there is none. */
  async function load(locale) {
    const wanted = String(locale || '').toLowerCase().split(/[-_]/)[0];
    let english = {};
    let chosen = {};
    try {
      english = await catalogue('en');
    } catch (_) {
      english = {}; // keys are shown rather than nothing
    }
    language = 'en';
    if (/^[a-z]{2,3}$/.test(wanted) && wanted !== 'en') {
      try {
        chosen = await catalogue(wanted);
        language = wanted;
      } catch (_) {
        chosen = {};
      }
    }
    strings = Object.assign({}, english, chosen);
    formatLocale = locale ? String(locale) : undefined;
    document.documentElement.lang = language;
  }

  /** The text for `key`, with `{name}` filled from `params`. */
  function t(key, params) {
    const text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    return String(text).replace(/\{(\w+)\}/g, (whole, name) => (
      params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
  }

  /** `key_one`, `key_other`, … chosen by the language's plural rules for `count`. */
  function plural(key, count, params) {
    const form = `${key}_${new Intl.PluralRules(language).select(count)}`;
    return t(Object.prototype.hasOwnProperty.call(strings, form) ? form : `${key}_other`,
      Object.assign({ count }, params));
  }

  window.Murmur = Object.assign(window.Murmur || {}, {
    i18n: { load, t, plural, language: () => language, formatLocale: () => formatLocale },
  });
})();
