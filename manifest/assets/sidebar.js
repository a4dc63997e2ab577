/* Ticket sidebar placeholder: start the ZAF client and fit the iframe to its content. */
(function () {
  'use strict';

  // ZAFClient.init() returns false when the page is opened outside Zendesk
  // (no origin/app_guid in the URL); the static text still renders then.
  var client = window.ZAFClient ? window.ZAFClient.init() : false;
  if (!client) {
    return;
  }

  function contentHeight() {
    var app = document.getElementById('app');
    return Math.ceil(app.getBoundingClientRect().height);
  }

  function resize() {
    client.invoke('resize', { width: '100%', height: contentHeight() + 'px' });
  }

  client.on('app.registered', resize);
  resize();
})();
