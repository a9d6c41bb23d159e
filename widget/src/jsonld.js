// schema.org JSON-LD for the page (search engines run JS), one script block per
// widget, removed with it: a product's widget gives a Product, the store's (data-store)
// an Organization, each with its AggregateRating and the Reviews shown. The same
// documents as the server's api/seo.py.
import { h } from './dom.js';

// The block's data-plaudit: "site/product", or "site" for the store (no product id is "").
const tagOf = (site, product) => (product === null ? site : `${site}/${product}`);

export function jsonLd(el, site, product, data) {
  if (el.getAttribute('data-jsonld') === 'off') return;
  const s = data.summary;
  const name = (attr) => el.getAttribute(attr) || document.title;
  const ld =
    product === null
      ? {
          '@context': 'https://schema.org',
          '@type': 'Organization',
          name: name('data-store-name') || location.hostname,
          url: location.origin,
        }
      : {
          '@context': 'https://schema.org',
          '@type': 'Product',
          name: name('data-product-name') || product,
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
      // schema.org has no property for a verified buyer: the author's description says it.
      author: {
        '@type': 'Person',
        name: r.author_name,
        description: r.verified_buyer ? 'Verified buyer' : undefined,
      },
      // Nor for an incentive: the review's own description discloses it, as the widget
      // shows it (widget/README.md, "Incentives").
      description: r.incentivized ? 'Received an incentive' : undefined,
      datePublished: r.created_at.slice(0, 10),
      name: r.title || undefined,
      reviewBody: r.body,
      reviewRating: { '@type': 'Rating', ratingValue: r.rating, bestRating: 5, worstRating: 1 },
    }));
  }
  const tag = tagOf(site, product);
  const old = document.head.querySelector(`script[data-plaudit="${tag}"]`);
  const node = h('script', { type: 'application/ld+json', 'data-plaudit': tag });
  node.textContent = JSON.stringify(ld); // a data block: never executed, never parsed as HTML
  if (old) old.replaceWith(node);
  else document.head.append(node);
}

export function removeJsonLd(site, product) {
  const old = document.head.querySelector(`script[data-plaudit="${tagOf(site, product)}"]`);
  if (old) old.remove();
}
