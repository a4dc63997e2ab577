/*
 * The Murmur sidebar's views: each function takes data from the backend (or Zendesk) and
 * returns DOM nodes built through Murmur.dom, never HTML strings.
 */
(function () {
  'use strict';

  const { el, svg, link, safeUrl, relativeTime, exactTime, compactNumber, score } = window.Murmur.dom;

  const LABELS = { positive: 'Positive', neutral: 'Neutral', negative: 'Negative' };
  const STATUSES = { new: 'New', open: 'Open', pending: 'Pending', hold: 'On-hold', solved: 'Solved',
    closed: 'Closed' };

  function sentimentLabel(label) {
    return LABELS[label] ? label : 'neutral';
  }

  /** A grey placeholder of the panel while the profile loads. */
  function skeleton() {
    const line = (width) => el('div', { class: 'skeleton__line', 'data-width': width });
    return el('div', { class: 'skeleton', 'aria-hidden': 'true' },
      el('div', { class: 'skeleton__header' }, el('div', { class: 'skeleton__avatar' }),
        el('div', { class: 'skeleton__lines' }, line('60'), line('40'))),
      line('100'), line('80'), line('100'), line('70'));
  }

  /** An error box with a message and an optional Retry button. */
  function errorView(title, message, onRetry) {
    const box = el('div', { class: 'notice notice--error', role: 'alert' },
      el('p', { class: 'notice__title' }, title),
      message ? el('p', { class: 'notice__text' }, message) : null);
    if (onRetry) {
      const button = el('button', { type: 'button', class: 'button' }, 'Retry');
      button.addEventListener('click', onRetry);
      box.append(button);
    }
    return box;
  }

  function initials(name) {
    const letters = String(name || '?').trim().split(/\s+/).slice(0, 2).map((part) => part[0]);
    return letters.join('').toUpperCase() || '?';
  }

  function avatar(profile) {
    const fallback = el('span', { class: 'avatar avatar--initials', 'aria-hidden': 'true' },
      initials(profile.name || profile.handle));
    const src = safeUrl(profile.avatar_url);
    if (!src) {
      return fallback;
    }
    const image = el('img', { class: 'avatar', src, alt: '', width: 48, height: 48, referrerpolicy: 'no-referrer' });
    image.addEventListener('error', () => image.replaceWith(fallback));
    return image;
  }

  /** Avatar, name, handle, platform, followers, profile link and the person's other profiles. */
  function profileHeader(profile) {
    const followers = Number(profile.followers_count);
    const others = (profile.other_profiles || []).map((other) => el('li', { class: 'other-profile' },
      link(other.profile_url, { class: 'other-profile__link' },
        el('span', { class: 'platform' }, other.platform_label || other.platform), ' ', other.handle)));
    return el('section', { class: 'profile', 'aria-label': 'Social profile' },
      el('div', { class: 'profile__main' },
        avatar(profile),
        el('div', { class: 'profile__who' },
          el('h2', { class: 'profile__name' }, profile.name || profile.handle),
          el('p', { class: 'profile__handle' },
            link(profile.profile_url, { class: 'profile__link', title: 'Open profile' }, profile.handle)),
          el('p', { class: 'profile__meta' },
            el('span', { class: 'platform' }, profile.platform_label || profile.platform),
            Number.isFinite(followers)
              ? [' \u00b7 ', el('span', { class: 'profile__followers', title: followers.toLocaleString() },
                compactNumber(followers) + (followers === 1 ? ' follower' : ' followers'))]
              : null))),
      others.length ? el('div', { class: 'profile__others' },
        el('p', { class: 'label' }, 'Also on'), el('ul', { class: 'other-profiles' }, others)) : null);
  }

  /** A sparkline of the scores (oldest first), on a -1..1 scale with a zero line. */
  function trendChart(trend) {
    const width = 280;
    const height = 48;
    const pad = 4;
    const points = trend.map((item, index) => {
      const x = trend.length === 1 ? width / 2 : pad + (index * (width - 2 * pad)) / (trend.length - 1);
      const value = Math.max(-1, Math.min(1, Number(item.score) || 0));
      return { x, y: pad + ((1 - value) / 2) * (height - 2 * pad), item, value };
    });
    const kind = (value) => (value >= 0.05 ? 'positive' : value <= -0.05 ? 'negative' : 'neutral');
    return svg('svg', { class: 'trend', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Sentiment of the last ${trend.length} posts, oldest first` },
    svg('line', { class: 'trend__zero', x1: 0, x2: width, y1: height / 2, y2: height / 2 }),
    points.length > 1
      ? svg('polyline', { class: 'trend__line', points: points.map((p) => `${p.x},${p.y}`).join(' ') })
      : null,
    points.map((p) => svg('circle', { class: `trend__point trend__point--${kind(p.value)}`, cx: p.x, cy: p.y,
      r: 3, 'data-score': p.value },
    svg('title', null, `${exactTime(p.item.posted_at)}: ${score(p.value)}`))));
  }

  /** Average and label, counts per label, and the trend chart. */
  function sentimentSummary(sentiment) {
    const label = sentimentLabel(sentiment.label);
    const counts = sentiment.counts || {};
    const trend = sentiment.trend || [];
    return el('section', { class: 'section sentiment', 'aria-labelledby': 'sentiment-title' },
      el('h3', { class: 'section__title', id: 'sentiment-title' }, 'Sentiment'),
      el('p', { class: 'sentiment__average' },
        el('span', { class: `badge badge--${label}` }, LABELS[label]),
        ' ', el('span', { class: 'sentiment__score', title: 'Average score (-1 to +1)' }, score(sentiment.average)),
        el('span', { class: 'secondary' }, ' average')),
      el('ul', { class: 'counts' }, ['positive', 'neutral', 'negative'].map((key) => el('li',
        { class: `counts__item counts__item--${key}`, 'data-label': key },
        el('span', { class: 'counts__number' }, String(Number(counts[key]) || 0)), ' ', LABELS[key]))),
      trend.length ? trendChart(trend) : null,
      trend.length > 1 ? el('p', { class: 'trend__axis' }, el('span', null, 'Older'), el('span', null, 'Newer'))
        : null);
  }

  function post(item, now) {
    const label = sentimentLabel(item.label);
    const time = el('time', { datetime: item.posted_at, title: exactTime(item.posted_at) },
      relativeTime(item.posted_at, now));
    return el('li', { class: 'post' + (item.mentions_brand ? ' post--brand' : ''),
      'data-mentions-brand': item.mentions_brand ? 'true' : 'false' },
    el('p', { class: 'post__text' }, item.text || ''),
    el('p', { class: 'post__meta' },
      el('span', { class: `badge badge--${label}`, title: 'Sentiment score ' + score(item.sentiment) },
        LABELS[label]),
      item.mentions_brand ? el('span', { class: 'tag tag--brand' }, 'Mentions you') : null,
      link(item.url, { class: 'post__link', title: 'Open post' }, time)));
  }

  /** The recent posts, in the order given (the backend sends newest first). */
  function postsSection(posts, now) {
    return el('section', { class: 'section', 'aria-labelledby': 'posts-title' },
      el('h3', { class: 'section__title', id: 'posts-title' }, 'Recent posts'),
      posts.length
        ? el('ol', { class: 'posts' }, posts.map((item) => post(item, now)))
        : el('p', { class: 'secondary' }, 'No recent public posts.'));
  }

  /** "May be out of date" with the reason and when the data was fetched. */
  function staleNotice(doc) {
    const fetched = doc.fetched_at ? ` Last updated ${relativeTime(doc.fetched_at)}.` : '';
    return el('p', { class: 'notice notice--warning stale', role: 'status' },
      el('strong', null, 'May be out of date'),
      doc.stale_reason ? ': ' + String(doc.stale_reason).replace(/[\s.]+$/, '') + '.' : '.', fetched);
  }

  /** A ticket list entry; `open(id)` navigates inside Zendesk. */
  function ticketItem(ticket, subdomain, open) {
    const status = STATUSES[ticket.status] ? ticket.status : 'open';
    const href = subdomain ? `https://${encodeURIComponent(subdomain)}.zendesk.com/agent/tickets/${Number(ticket.id)}` : null;
    const anchor = link(href, { class: 'ticket__link' }, `#${Number(ticket.id)} `, ticket.subject || '(no subject)');
    if (anchor.tagName === 'A' && open) {
      anchor.addEventListener('click', (event) => {
        event.preventDefault();
        open(Number(ticket.id));
      });
    }
    return el('li', { class: 'ticket', 'data-ticket-id': Number(ticket.id) },
      el('span', { class: `status status--${status}` }, STATUSES[status]),
      anchor,
      el('time', { class: 'ticket__time secondary', datetime: ticket.created_at, title: exactTime(ticket.created_at) },
        relativeTime(ticket.created_at)));
  }

  /** Earlier tickets: `tickets` is null while loading, an Error on failure, else a list. */
  function ticketsSection(tickets, subdomain, open) {
    let body;
    if (tickets === null) {
      body = el('p', { class: 'secondary' }, 'Loading\u2026');
    } else if (tickets instanceof Error) {
      body = el('p', { class: 'secondary' }, 'Couldn\u2019t load earlier tickets.');
    } else if (!tickets.length) {
      body = el('p', { class: 'secondary' }, 'No earlier tickets.');
    } else {
      body = el('ul', { class: 'tickets' }, tickets.map((ticket) => ticketItem(ticket, subdomain, open)));
    }
    return el('section', { class: 'section earlier-tickets', 'aria-labelledby': 'tickets-title' },
      el('h3', { class: 'section__title', id: 'tickets-title' }, 'Earlier tickets'), body);
  }

  const PLACEHOLDERS = { mastodon: '@name@instance.social', bluesky: 'name.bsky.social', x: '@name',
    reddit: 'u/name' };

  /**
   * The empty state for a requester with no known social profile: pick a connected platform,
   * type a handle, link it. `onLink({platform, handle})` returns a promise that rejects with
   * the message to show in the form.
   */
  function linkForm(platforms, onLink) {
    const intro = el('p', { class: 'empty__text' },
      'No social profile is linked to this requester. Look up their handle on a connected platform to link it.');
    if (!platforms.length) {
      return el('section', { class: 'empty', 'aria-label': 'Link a social profile' }, intro,
        el('p', { class: 'secondary' }, 'No social accounts are connected to Murmur yet.'));
    }
    const select = el('select', { id: 'link-platform', name: 'platform', class: 'input' },
      platforms.map((p) => el('option', { value: p.platform }, (p.label || p.platform) + (p.account ? ` (${p.account})` : ''))));
    const input = el('input', { id: 'link-handle', name: 'handle', class: 'input', type: 'text', required: true,
      autocomplete: 'off', spellcheck: 'false', placeholder: PLACEHOLDERS[platforms[0].platform] || '@name' });
    const message = el('p', { class: 'form__message', role: 'alert', hidden: true });
    const button = el('button', { type: 'submit', class: 'button button--primary' }, 'Link profile');
    const form = el('form', { class: 'form', novalidate: true },
      el('label', { class: 'label', for: 'link-platform' }, 'Platform'), select,
      el('label', { class: 'label', for: 'link-handle' }, 'Handle'), input,
      message, button);
    select.addEventListener('change', () => {
      input.placeholder = PLACEHOLDERS[select.value] || '@name';
    });
    const show = (text) => {
      message.textContent = text;
      message.hidden = !text;
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const handle = input.value.trim();
      if (!handle) {
        show('Enter the handle to look up.');
        input.focus();
        return;
      }
      show('');
      button.disabled = true;
      button.textContent = 'Linking\u2026';
      onLink({ platform: select.value, handle }).catch((text) => {
        show(String(text));
        button.disabled = false;
        button.textContent = 'Link profile';
      });
    });
    return el('section', { class: 'empty', 'aria-label': 'Link a social profile' }, intro, form);
  }

  window.Murmur.render = {
    skeleton, errorView, profileHeader, sentimentSummary, trendChart, postsSection, staleNotice,
    ticketsSection, linkForm,
  };
})();
