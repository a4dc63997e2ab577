/*
 * The Murmur sidebar's views: each function takes data from the backend (or Zendesk) and
 * returns DOM nodes built through Murmur.dom, never HTML strings.
 */
(function () {
  'use strict';

  const { el, svg, link, safeUrl, relativeTime, exactTime, compactNumber, score } = window.Murmur.dom;
  const { t, plural } = window.Murmur.i18n;

  const LABELS = ['positive', 'neutral', 'negative'];
  const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
  const DIRECTIONS = ['improving', 'worsening', 'steady'];

  function sentimentLabel(label) {
    return LABELS.includes(label) ? label : 'neutral';
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
      const button = el('button', { type: 'button', class: 'button' }, t('retry'));
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
    return el('section', { class: 'profile', 'aria-label': t('social_profile') },
      el('div', { class: 'profile__main' },
        avatar(profile),
        el('div', { class: 'profile__who' },
          el('h2', { class: 'profile__name' }, profile.name || profile.handle),
          el('p', { class: 'profile__handle' },
            link(profile.profile_url, { class: 'profile__link', title: t('open_profile') }, profile.handle)),
          el('p', { class: 'profile__meta' },
            el('span', { class: 'platform' }, profile.platform_label || profile.platform),
            Number.isFinite(followers)
              ? [' \u00b7 ', el('span', { class: 'profile__followers', title: String(followers) },
                plural('followers', followers, { count: compactNumber(followers) }))]
              : null))),
      others.length ? el('div', { class: 'profile__others' },
        el('p', { class: 'label' }, t('also_on')), el('ul', { class: 'other-profiles' }, others)) : null);
  }

  /** A sparkline of the scores (oldest first), on a -1..1 scale with a zero line; the ticket's own posts ringed. */
  function trendChart(trend) {
    const width = 280;
    const height = 48;
    const pad = 4;
    const points = trend.map((item, index) => {
      const x = trend.length === 1 ? width / 2 : pad + (index * (width - 2 * pad)) / (trend.length - 1);
      const value = Math.max(-1, Math.min(1, Number(item.score) || 0));
      return { x, y: pad + ((1 - value) / 2) * (height - 2 * pad), item, value };
    });
    return svg('svg', { class: 'trend', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': t('trend_label', { count: trend.length }) },
    svg('line', { class: 'trend__zero', x1: 0, x2: width, y1: height / 2, y2: height / 2 }),
    points.length > 1
      ? svg('polyline', { class: 'trend__line', points: points.map((p) => `${p.x},${p.y}`).join(' ') })
      : null,
    points.map((p) => svg('circle', { class: `trend__point trend__point--${sentimentLabel(p.item.label)}`
      + (p.item.own ? ' trend__point--own' : ''), cx: p.x, cy: p.y, r: p.item.own ? 4 : 3, 'data-score': p.value },
    svg('title', null, `${exactTime(p.item.posted_at)}: ${score(p.value)}`
      + (p.item.own ? ` (${t('this_ticket')})` : '')))));
  }

  /** The backend's summary: label and direction, the weighted score, counts per label, the chart. */
  function sentimentSummary(sentiment) {
    const label = sentimentLabel(sentiment.label);
    const direction = DIRECTIONS.includes(sentiment.direction) ? sentiment.direction : 'steady';
    const counts = sentiment.counts || {};
    const trend = sentiment.trend || [];
    return el('section', { class: 'section sentiment', 'aria-labelledby': 'sentiment-title' },
      el('h3', { class: 'section__title', id: 'sentiment-title' }, t('sentiment')),
      el('p', { class: 'sentiment__summary' },
        el('span', { class: `badge badge--${label}` }, t(`sentiment_${label}`)),
        ' ', el('span', { class: `sentiment__direction sentiment__direction--${direction}`, 'data-direction': direction },
          t(`direction_${direction}`)),
        ' ', el('span', { class: 'sentiment__score secondary', title: t('score_title') }, score(sentiment.score))),
      el('ul', { class: 'counts' }, LABELS.map((key) => el('li',
        { class: `counts__item counts__item--${key}`, 'data-label': key },
        el('span', { class: 'counts__number' }, String(Number(counts[key]) || 0)), ' ', t(`sentiment_${key}`)))),
      trend.length ? trendChart(trend) : null,
      trend.length > 1 ? el('p', { class: 'trend__axis' }, el('span', null, t('older')), el('span', null, t('newer')))
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
      el('span', { class: `badge badge--${label}`, title: t('post_score', { score: score(item.sentiment) }) },
        t(`sentiment_${label}`)),
      item.mentions_brand ? el('span', { class: 'tag tag--brand' }, t('mentions_you')) : null,
      Number.isFinite(item.likes) ? el('span', { class: 'post__likes secondary' }, plural('likes', item.likes, { count: item.likes })) : null,
      link(item.url, { class: 'post__link', title: t('open_post') }, time)));
  }

  /**
   * The recent posts, in the order given (the backend sends newest first). Where the platform
   * does not share a customer's posts, these are the ones that mention the brand.
   */
  function postsSection(posts, now, historyShared = true) {
    return el('section', { class: 'section', 'aria-labelledby': 'posts-title' },
      el('h3', { class: 'section__title', id: 'posts-title' }, t(historyShared ? 'recent_posts' : 'posts_mentioning_you')),
      posts.length
        ? el('ol', { class: 'posts' }, posts.map((item) => post(item, now)))
        : el('p', { class: 'secondary' }, t('no_posts')));
  }

  /** "May be out of date" with the reason and when the data was fetched. */
  function staleNotice(doc) {
    const platform = (doc.profile && (doc.profile.platform_label || doc.profile.platform)) || '';
    const reason = doc.stale_code ? t(`stale_${doc.stale_code}`, { platform }) : '';
    const fetched = doc.fetched_at ? t('last_updated', { time: relativeTime(doc.fetched_at) }) : '';
    return el('p', { class: 'notice notice--warning stale', role: 'status' },
      el('strong', null, t('stale_title')), reason ? ': ' : '. ', [reason, fetched].filter(Boolean).join(' '));
  }

  /** What the customer's platform does not share with Murmur, said plainly (not as a failure). */
  function notSharedNotice(doc) {
    const platform = (doc.profile && (doc.profile.platform_label || doc.profile.platform)) || '';
    const known = (doc.not_shared || []).filter((what) => ['history', 'profile'].includes(what));
    if (!known.length) return null;
    return el('p', { class: 'notice notice--info not-shared', role: 'note' },
      known.map((what) => t(`not_shared_${what}`, { platform })).join(' '));
  }

  /** A ticket list entry; `open(id)` navigates inside Zendesk. */
  function ticketItem(ticket, subdomain, open) {
    const status = STATUSES.includes(ticket.status) ? ticket.status : 'open';
    const href = subdomain ? `https://${encodeURIComponent(subdomain)}.zendesk.com/agent/tickets/${Number(ticket.id)}` : null;
    const anchor = link(href, { class: 'ticket__link' }, `#${Number(ticket.id)} `, ticket.subject || t('no_subject'));
    if (anchor.tagName === 'A' && open) {
      anchor.addEventListener('click', (event) => {
        event.preventDefault();
        open(Number(ticket.id));
      });
    }
    return el('li', { class: 'ticket', 'data-ticket-id': Number(ticket.id) },
      el('span', { class: `status status--${status}` }, t(`status_${status}`)),
      anchor,
      el('time', { class: 'ticket__time secondary', datetime: ticket.created_at, title: exactTime(ticket.created_at) },
        relativeTime(ticket.created_at)));
  }

  /** Earlier tickets: `tickets` is null while loading, an Error on failure, else a list. */
  function ticketsSection(tickets, subdomain, open) {
    let body;
    if (tickets === null) {
      body = el('p', { class: 'secondary' }, t('loading'));
    } else if (tickets instanceof Error) {
      body = el('p', { class: 'secondary' }, t('tickets_failed'));
    } else if (!tickets.length) {
      body = el('p', { class: 'secondary' }, t('no_tickets'));
    } else {
      body = el('ul', { class: 'tickets' }, tickets.map((ticket) => ticketItem(ticket, subdomain, open)));
    }
    return el('section', { class: 'section earlier-tickets', 'aria-labelledby': 'tickets-title' },
      el('h3', { class: 'section__title', id: 'tickets-title' }, t('earlier_tickets')), body);
  }

  /** The example handle the backend gives for a connected platform. */
  function placeholder(platforms, value) {
    const choice = platforms.find((p) => p.platform === value);
    return (choice && choice.handle_example) || '@name';
  }

  /**
   * The empty state for a requester with no known social profile: pick a connected platform,
   * type a handle, link it. `onLink({platform, handle})` returns a promise that rejects with
   * the message to show in the form.
   */
  function linkForm(connected, onLink) {
    const intro = el('p', { class: 'empty__text' }, t('link_intro'));
    const platforms = connected.filter((p) => p.can_link !== false);
    if (!platforms.length) {
      return el('section', { class: 'empty', 'aria-label': t('link_section') }, intro,
        el('p', { class: 'secondary' }, t(connected.length ? 'no_lookup' : 'no_accounts')));
    }
    const select = el('select', { id: 'link-platform', name: 'platform', class: 'input' },
      platforms.map((p) => el('option', { value: p.platform }, (p.label || p.platform) + (p.account ? ` (${p.account})` : ''))));
    const input = el('input', { id: 'link-handle', name: 'handle', class: 'input', type: 'text', required: true,
      autocomplete: 'off', spellcheck: 'false', placeholder: placeholder(platforms, platforms[0].platform) });
    const message = el('p', { class: 'form__message', role: 'alert', hidden: true });
    const button = el('button', { type: 'submit', class: 'button button--primary' }, t('link_profile'));
    const form = el('form', { class: 'form', novalidate: true },
      el('label', { class: 'label', for: 'link-platform' }, t('platform')), select,
      el('label', { class: 'label', for: 'link-handle' }, t('handle')), input,
      message, button);
    select.addEventListener('change', () => {
      input.placeholder = placeholder(platforms, select.value);
    });
    const show = (text) => {
      message.textContent = text;
      message.hidden = !text;
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const handle = input.value.trim();
      if (!handle) {
        show(t('enter_handle'));
        input.focus();
        return;
      }
      show('');
      button.disabled = true;
      button.textContent = t('linking');
      onLink({ platform: select.value, handle }).catch((text) => {
        show(String(text));
        button.disabled = false;
        button.textContent = t('link_profile');
      });
    });
    return el('section', { class: 'empty', 'aria-label': t('link_section') }, intro, form);
  }

  window.Murmur.render = {
    skeleton, errorView, profileHeader, sentimentSummary, trendChart, postsSection, staleNotice,
    notSharedNotice, ticketsSection, linkForm,
  };
})();
