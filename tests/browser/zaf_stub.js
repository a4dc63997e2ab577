/*
 * A stand-in for Zendesk's ZAF SDK (served in place of the CDN's zaf_sdk.min.js).
 *
 * It answers like the real client: ZAFClient.init() returns false without origin/app_guid in
 * the URL; get/context/metadata/invoke/request return promises; request() plays Zendesk's
 * proxy for the app's backend: with `secure: true` it fills {{setting.shared_secret}} and
 * {{jwt.token}} (an HS256 JWT signed here with WebCrypto from opts.jwt, plus iat and exp),
 * then sends the request on through the test's relay (server side, like the real proxy);
 * /api/v2/... URLs are answered from the test's fake Zendesk data. Non-2xx answers reject
 * with {status, statusText, responseText, responseJSON} like ZAF.
 *
 * The test configures it with window.__zafConfig (page.add_init_script) and reads what the
 * app did from window.__zaf (resizes, invokes, requests).
 */
(function () {
  'use strict';

  const config = window.__zafConfig || {};
  const record = window.__zaf = { resizes: [], invokes: [], requests: [], handlers: {} };
  const encoder = new TextEncoder();

  function base64url(bytes) {
    let binary = '';
    for (const byte of bytes) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function signJwt(jwt, secret) {
    if (jwt.algorithm !== 'HS256') {
      throw new Error('stub only signs HS256, got ' + jwt.algorithm);
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'HS256', typ: 'JWT' };
    const claims = Object.assign({}, jwt.claims, { iat: now, exp: now + Number(jwt.expiry || 300) });
    const input = base64url(encoder.encode(JSON.stringify(header))) + '.'
      + base64url(encoder.encode(JSON.stringify(claims)));
    const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' },
      false, ['sign']);
    const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input)));
    return input + '.' + base64url(signature);
  }

  /** {{setting.name}}: secure settings only reach requests made with `secure: true`. */
  function fillSettings(text, secure) {
    return String(text).replace(/\{\{setting\.(\w+)\}\}/g, (whole, name) => {
      if (name === 'shared_secret') {
        return secure ? config.secret : whole;
      }
      return name in (config.settings || {}) ? config.settings[name] : whole;
    });
  }

  function failure(status, statusText, responseText) {
    let responseJSON;
    try {
      responseJSON = JSON.parse(responseText);
    } catch (_) {
      responseJSON = undefined;
    }
    return { readyState: 4, status, statusText, responseText, responseJSON };
  }

  async function proxied(opts) {
    const secure = opts.secure === true && opts.cors !== true;
    let token = null;
    if (secure && opts.jwt) {
      token = await signJwt(opts.jwt, fillSettings(opts.jwt.secret_key, true));
    }
    const headers = {};
    for (const [name, value] of Object.entries(opts.headers || {})) {
      let filled = fillSettings(value, secure);
      if (token) {
        filled = filled.split('{{jwt.token}}').join(token);
      }
      headers[name] = filled;
    }
    if (opts.contentType) {
      headers['Content-Type'] = opts.contentType;
    }
    const relay = await fetch('/__zendesk_proxy', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: opts.url, method: (opts.type || 'GET').toUpperCase(), headers,
        body: opts.data === undefined ? null : String(opts.data) }),
    });
    const text = await relay.text();
    if (relay.status < 200 || relay.status >= 300) {
      throw failure(relay.status, relay.statusText || 'error', text);
    }
    return opts.dataType === 'json' || /json/.test(relay.headers.get('Content-Type') || '')
      ? JSON.parse(text) : text;
  }

  function zendeskApi(opts) {
    const url = new URL(opts.url, 'https://' + config.subdomain + '.zendesk.com');
    const answer = (config.zendesk || {})[url.pathname];
    if (answer === undefined) {
      return Promise.reject(failure(404, 'Not Found', JSON.stringify({ error: 'RecordNotFound' })));
    }
    if (answer && answer.__status) {
      return Promise.reject(failure(answer.__status, 'error', JSON.stringify(answer.body || {})));
    }
    return Promise.resolve(JSON.parse(JSON.stringify(answer)));
  }

  function request(opts) {
    opts = typeof opts === 'string' ? { url: opts } : Object.assign({}, opts);
    record.requests.push(JSON.parse(JSON.stringify(opts)));
    if (/^\/api\/v2\//.test(opts.url)) {
      return zendeskApi(opts);
    }
    if (config.backend_url && String(opts.url).startsWith(config.backend_url)) {
      return proxied(opts);
    }
    return Promise.reject(failure(0, 'error', 'stub: no route for ' + opts.url));
  }

  function get(paths) {
    const answer = { errors: {} };
    for (const path of [].concat(paths)) {
      if (path in (config.data || {})) {
        answer[path] = JSON.parse(JSON.stringify(config.data[path]));
      } else {
        answer.errors[path] = { message: `"${path}" Could not find handler for: "${path}"`, name: 'Error' };
      }
    }
    return Promise.resolve(answer);
  }

  function trigger(event, data) {
    for (const callback of record.handlers[event] || []) {
      callback(data);
    }
  }

  function makeClient() {
    const context = { host: 'zendesk', product: 'support', location: 'ticket_sidebar',
      instanceGuid: 'stub-instance', account: { subdomain: config.subdomain },
      ticketId: (config.data || {})['ticket.id'] };
    const metadata = { appId: 0, installationId: 1, name: 'Murmur', version: '1.0.0',
      settings: Object.assign({ backend_url: config.backend_url, title: 'Murmur' }, config.settings || {}) };
    const client = {
      get,
      request,
      context: () => Promise.resolve(JSON.parse(JSON.stringify(context))),
      metadata: () => Promise.resolve(JSON.parse(JSON.stringify(metadata))),
      invoke(name, ...args) {
        record.invokes.push([name].concat(JSON.parse(JSON.stringify(args))));
        if (name === 'resize') {
          record.resizes.push(JSON.parse(JSON.stringify(args[0])));
        }
        return Promise.resolve({ errors: {} });
      },
      on(event, callback) {
        (record.handlers[event] = record.handlers[event] || []).push(callback);
      },
      off(event, callback) {
        record.handlers[event] = (record.handlers[event] || []).filter((cb) => cb !== callback);
      },
      has: (event) => Boolean((record.handlers[event] || []).length),
      trigger,
    };
    setTimeout(() => trigger('app.registered', { context, metadata }), 0);
    return client;
  }

  window.ZAFClient = {
    init() {
      const params = new URLSearchParams(window.location.search || window.location.hash.slice(1));
      return params.get('origin') && params.get('app_guid') ? makeClient() : false;
    },
  };
  record.trigger = trigger;
})();
