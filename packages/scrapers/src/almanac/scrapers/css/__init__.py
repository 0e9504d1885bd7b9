"""Plain HTML listings read with CSS selectors given in the source's config.

config:
  item:        each event on the listing (required)
  title:       its title (required)
  date:        its date text (required, unless `detail` reads the date)
  time:        its time text, e.g. "7:30 PM" or "7:30 – 9:30 PM"
  link:        its own page (default attribute `href`)
  image:       its picture (default attribute `src`, then `data-src`, `srcset`)
  location, price: texts
  status:      a badge or label; "Cancelled" or "Postponed" there (or in the title) marks the event
  description: its description, kept as sanitized HTML
  date_format: a strptime format for the whole date text, when the general reading fails
  next_page:   the listing's next page (default attribute `href`)
  detail:      the same fields, read on each event's own page (`date` required there;
               `title` defaults to `h1`, `image` to the page's `og:image`)

A field's selector is relative to the item (to the page, under `detail`);
`selector@attribute` reads an attribute instead of the text, and `@attribute`
alone reads the item's own. With `detail`, the items' links are followed as
detail pages and what those pages say replaces what the listing said.
"""

from almanac.core.css_config import CssConfig, validate_config
from almanac.scrapers.css.listing import parse

__all__ = ["CssConfig", "parse", "validate_config"]
