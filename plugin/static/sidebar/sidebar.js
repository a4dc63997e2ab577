/*
 * Murmur ticket sidebar: reads the ticket through the ZAF client, asks the Murmur backend for
 * the requester's social profile through Zendesk's proxy (a JWT signed with the secure
 * shared_secret setting, which never reaches this page) and renders the panel.
 */
(function () {
  'use strict';

  const { el } = window.Murmur.dom;
  const { t } = window.Murmur.i18n;
  const render = window.Murmur.render;
  const root = document.getElementById('app');
  const client = window.ZAFClient ? window.ZAFClient.init() : false;

  let generation = 0;
  let lastHeight = 0;

  /** Tell Zendesk the iframe's content height (only when it changed). */
  function resize() {
    const height = Math.ceil(root.getBoundingClientRect().height);
    if (client && height !== lastHeight) {
      lastHeight = height;
      client.invoke('resize', { width: '100%', height: height + 'px' });
    }
  }

  function show(...nodes) {
    root.replaceChildren(...nodes.filter(Boolean));
    resize();
  }

  if (!client) {
    // Opened outside Zendesk (no origin/app_guid in the URL): nothing to talk to.
    window.Murmur.i18n.load(navigator.language).then(() => show(render.errorView(t('outside_zendesk'), null, null)));
    return;
  }
  new ResizeObserver(resize).observe(root);

  /** The agent's language, from their Zendesk profile (the browser's if Zendesk does not say). */
  const language = client.get('currentUser.locale').then(
    (answer) => answer['currentUser.locale'] || navigator.language, () => navigator.language)
    .then((locale) => window.Murmur.i18n.load(locale));

  /** Ticket, requester, subdomain and the backend URL: everything a request needs. */
  async function readTicket() {
    const [data, context, metadata] = await Promise.all([
      client.get(['ticket.id', 'ticket.requester']), client.context(), client.metadata()]);
    const backend = String((metadata.settings || {}).backend_url || '').replace(/\/+$/, '');
    return { ticketId: data['ticket.id'], requester: data['ticket.requester'] || null, backend,
      subdomain: (context.account || {}).subdomain };
  }

  /** A request to the Murmur backend through Zendesk's proxy, authorised by a proxy-signed JWT. */
  function backendRequest(ticket, path, options) {
    return client.request(Object.assign({
      url: ticket.backend + path, type: 'GET', secure: true, cors: false, dataType: 'json',
      headers: { Authorization: 'Bearer {{jwt.token}}' },
      jwt: { algorithm: 'HS256', secret_key: '{{setting.shared_secret}}', expiry: 300,
        claims: { iss: ticket.subdomain, ticket_id: String(ticket.ticketId),
          requester_id: String(ticket.requester.id) } },
    }, options));
  }

  /** {title, message} for a rejected client.request (ZAF rejects with an XHR-like object). */
  function describe(error) {
    const status = error && error.status;
    const body = (error && error.responseJSON) || {};
    if (status === 401 || status === 403) {
      return { title: t('refused_title'), message: t('secret_hint') };
    }
    if (status >= 400 && status < 500 && body.message) {
      return { title: t('load_failed'), message: body.message };
    }
    return { title: t('load_failed'), message: status ? t('answered_error', { status }) : t('unreachable') };
  }

  /** The requester's earlier tickets, newest first, without this one (Zendesk API, as the agent). */
  async function earlierTickets(ticket) {
    const answer = await client.request({
      url: `/api/v2/users/${encodeURIComponent(ticket.requester.id)}/tickets/requested.json`
        + '?sort_by=created_at&sort_order=desc&per_page=10',
      type: 'GET', dataType: 'json' });
    return (answer.tickets || []).filter((item) => String(item.id) !== String(ticket.ticketId));
  }

  function openTicket(id) {
    client.invoke('routeTo', 'ticket', id);
  }

  /** Render a backend document plus the earlier tickets (a promise, filled in when it settles). */
  function showDocument(ticket, doc, tickets) {
    const ticketsSlot = el('div', { class: 'tickets-slot' }, render.ticketsSection(null));
    tickets.then((list) => list, (error) => (error instanceof Error ? error : new Error('request failed')))
      .then((list) => {
        ticketsSlot.replaceChildren(render.ticketsSection(list, ticket.subdomain, openTicket));
        resize();
      });
    if (doc.state !== 'found' || !doc.profile) {
      show(render.linkForm(doc.connected_platforms || [], (choice) => link(ticket, choice)), ticketsSlot);
      return;
    }
    show(render.profileHeader(doc.profile),
      doc.stale ? render.staleNotice(doc) : null,
      doc.sentiment ? render.sentimentSummary(doc.sentiment) : null,
      render.postsSection(doc.posts || []),
      ticketsSlot);
  }

  /** Link `choice` ({platform, handle}) to the requester; rejects with the text for the form. */
  async function link(ticket, choice) {
    let doc;
    try {
      doc = await backendRequest(ticket, '/api/sidebar/links', {
        type: 'POST', contentType: 'application/json',
        data: JSON.stringify({ ticket_id: ticket.ticketId, requester_id: ticket.requester.id,
          platform: choice.platform, handle: choice.handle }) });
    } catch (error) {
      const code = ((error && error.responseJSON) || {}).error;
      if (error && (error.status === 401 || error.status === 403)) {
        throw t('secret_hint');
      }
      if (code === 'platform_not_connected') {
        throw t('link_not_connected');
      }
      throw error && error.status === 404 ? t('link_not_found', { handle: choice.handle }) : t('link_failed');
    }
    showDocument(ticket, doc, ticket.earlier);
  }

  /** Load (or reload) the whole panel: skeleton, then the profile or an error with Retry. */
  async function load() {
    const mine = ++generation;
    root.setAttribute('aria-busy', 'true');
    show(render.skeleton());
    try {
      const [ticket] = await Promise.all([readTicket(), language]);
      if (!ticket.backend) {
        throw { status: 0, setup: t('no_backend_url') };
      }
      if (!ticket.requester || !ticket.requester.id) {
        throw { status: 0, setup: t('no_requester') };
      }
      ticket.earlier = earlierTickets(ticket);
      ticket.earlier.catch(() => {}); // shown in its own section; never an unhandled rejection
      const doc = await backendRequest(ticket, `/api/sidebar/tickets/${encodeURIComponent(ticket.ticketId)}`
        + `?requester_id=${encodeURIComponent(ticket.requester.id)}`);
      if (mine === generation) {
        showDocument(ticket, doc, ticket.earlier);
      }
    } catch (error) {
      await language; // the failure is told in the agent's language too
      if (mine === generation) {
        const text = error && error.setup ? { title: error.setup, message: null } : describe(error);
        show(render.errorView(text.title, text.message, load));
      }
    } finally {
      if (mine === generation) {
        root.removeAttribute('aria-busy');
      }
    }
  }

  client.on('ticket.requester.id.changed', load);
  load();
})();
