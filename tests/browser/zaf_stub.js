/*
 * A stand-in for Zendesk's ZAF SDK (served in place of the CDN's zaf_sdk.min.js).
 *
 * It answers like the real client: ZAFClient.init() returns false without origin/app_guid in
 * the URL; get/context/metadata/invoke/request return promises; request() answers Zendesk's
 * own /api/v2/... URLs from the test's fake Zendesk data and refuses anything else (the app
 * talks to its backend itself). Non-2xx answers reject with {status, statusText,
 * responseText, responseJSON} like ZAF.
 *
 * The test configures it with window.__zafConfig (page.add_init_script) and reads what the
 * app did from window.__zaf (resizes, invokes, requests).
 */
(function () {
  'use strict';

  const config = window.__zafConfig || {};
  const record = window.__zaf = { resizes: [], invokes: [], requests: [], handlers: {} };

  function failure(status, statusText, responseText) {
    let responseJSON;
    try {
      responseJSON = JSON.parse(responseText);
    } catch (_) {
      responseJSON = undefined;
    }
    return { readyState: 4, status, statusText, responseText, responseJSON };
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
      settings: { title: 'Murmur' } };
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
