/*
 * Murmur ticket sidebar: reads the ticket through the ZAF client, asks the Murmur backend that
 * served this page for the requester's social profile (with the session token the page was
 * given when Zendesk vouched for it) and renders the panel.
 */
(function () {
  'use strict';

  const { el } = window.Murmur.dom;
  const { t } = window.Murmur.i18n;
  const render = window.Murmur.render;
  const root = document.getElementById('app');
  const client = window.ZAFClient ? window.ZAFClient.init() : false;
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const session = meta('murmur-session');
  const api = meta('murmur-api').replace(/tickets\/$/, '');

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

  if (!client || !session) {
    // Opened outside Zendesk (no origin/app_guid in the URL, no signed load): nothing to talk to.
    window.Murmur.i18n.load(navigator.language).then(() => show(render.errorView(t('outside_zendesk'), null, null)));
    return;
  }
  new ResizeObserver(resize).observe(root);

  /** The agent's language, from their Zendesk profile (the browser's if Zendesk does not say). */
  const language = client.get('currentUser.locale').then(
    (answer) => answer['currentUser.locale'] || navigator.language, () => navigator.language)
    .then((locale) => window.Murmur.i18n.load(locale));

  /** Ticket, requester and subdomain: everything a request needs. */
  async function readTicket() {
    const [data, context] = await Promise.all([client.get(['ticket.id', 'ticket.requester']), client.context()]);
    return { ticketId: data['ticket.id'], requester: data['ticket.requester'] || null,
      subdomain: (context.account || {}).subdomain };
  }

  /**
   * A request to the Murmur backend (this page's own origin) with the page's session token.
   * Resolves to the JSON answer; rejects with {status, responseJSON} as ZAF's requests do.
   */
  async function backendRequest(path, options) {
    const { body, method } = options || {};
    const headers = { Authorization: `Bearer ${session}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let answer;
    try {
      answer = await fetch(api + path, { method: method || 'GET', headers, credentials: 'omit',
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (_) {
      throw { status: 0 };
    }
    const json = await answer.json().catch(() => undefined);
    if (!answer.ok) {
      throw { status: answer.status, responseJSON: json };
    }
    return json;
  }

  /** {title, message} for a rejected backend request. */
  function describe(error) {
    const status = error && error.status;
    const body = (error && error.responseJSON) || {};
    if (status === 401 || status === 403) {
      return { title: t('refused_title'), message: t(body.error === 'session_expired' ? 'session_expired' : 'refused_hint') };
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
      render.notSharedNotice(doc),
      doc.sentiment ? render.sentimentSummary(doc.sentiment) : null,
      render.postsSection(doc.posts || [], undefined, !(doc.not_shared || []).includes('history')),
      ticketsSlot);
  }

  /** Link `choice` ({platform, handle}) to the requester; rejects with the text for the form. */
  async function link(ticket, choice) {
    let doc;
    try {
      doc = await backendRequest('links', { method: 'POST',
        body: { ticket_id: ticket.ticketId, requester_id: ticket.requester.id,
          platform: choice.platform, handle: choice.handle } });
    } catch (error) {
      const code = ((error && error.responseJSON) || {}).error;
      if (error && (error.status === 401 || error.status === 403)) {
        throw describe(error).message;
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
      if (!ticket.requester || !ticket.requester.id) {
        throw { status: 0, setup: t('no_requester') };
      }
      ticket.earlier = earlierTickets(ticket);
      ticket.earlier.catch(() => {}); // shown in its own section; never an unhandled rejection
      const doc = await backendRequest(`tickets/${encodeURIComponent(ticket.ticketId)}`
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
