// schema.org Product / AggregateRating / Review for the page (search engines run JS),
// one script block per product, removed with its widget.
import { h } from './dom.js';

export function jsonLd(el, site, product, data) {
  if (el.getAttribute('data-jsonld') === 'off') return;
  const s = data.summary;
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    name: el.getAttribute('data-product-name') || document.title || product,
    productID: product,
  };
  if (s.count) {
    ld.aggregateRating = {
      '@type': 'AggregateRating',
      ratingValue: s.average,
      reviewCount: s.count,
      bestRating: 5,
      worstRating: 1,
    };
    ld.review = data.reviews.map((r) => ({
      '@type': 'Review',
      author: { '@type': 'Person', name: r.author_name },
      datePublished: r.created_at.slice(0, 10),
      name: r.title || undefined,
      reviewBody: r.body,
      reviewRating: { '@type': 'Rating', ratingValue: r.rating, bestRating: 5, worstRating: 1 },
    }));
  }
  const tag = `${site}/${product}`;
  const old = document.head.querySelector(`script[data-plaudit="${tag}"]`);
  const node = h('script', { type: 'application/ld+json', 'data-plaudit': tag });
  node.textContent = JSON.stringify(ld); // a data block: never executed, never parsed as HTML
  if (old) old.replaceWith(node);
  else document.head.append(node);
}

export function removeJsonLd(site, product) {
  const old = document.head.querySelector(`script[data-plaudit="${site}/${product}"]`);
  if (old) old.remove();
}
