// A message's `html`: the server renders the body's Markdown at write time and sanitises it.
// The page still never trusts markup: the html is parsed by DOMParser (an inert document,
// where nothing runs or loads) and rebuilt element by element from an allow-list, so a
// server bug cannot put a script, an event handler, a `javascript:` link or an image here.

const KEEP = new Set([
  "P", "BR", "EM", "STRONG", "B", "I", "DEL", "S", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL",
  "LI", "A", "SPAN", "HR",
]);
// dropped with everything inside them (not shown as text either)
const DROP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "NOSCRIPT", "SVG", "MATH"]);
const CLASS_OK = /^[A-Za-z0-9_ -]{1,80}$/;
const MAX_DEPTH = 20;

function safeHref(raw) {
  try {
    const url = new URL(raw, location.origin);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function copyElement(source) {
  const node = document.createElement(source.tagName.toLowerCase());
  const cls = source.getAttribute("class");
  if (cls && CLASS_OK.test(cls) && (source.tagName === "SPAN" || source.tagName === "CODE")) {
    node.className = cls;
  }
  if (source.tagName === "SPAN") {
    for (const name of ["data-member-id"]) {
      const value = source.getAttribute(name);
      if (value !== null && /^[A-Za-z0-9_-]{1,32}$/.test(value)) node.setAttribute(name, value);
    }
  }
  if (source.tagName === "OL") {
    const start = source.getAttribute("start");
    if (start && /^\d{1,9}$/.test(start)) node.setAttribute("start", start);
  }
  if (source.tagName === "A") {
    const href = safeHref(source.getAttribute("href") ?? "");
    if (href) {
      node.href = href;
      node.rel = "noopener nofollow ugc noreferrer";
      node.target = "_blank";
    }
  }
  return node;
}

// text inside these is never turned into links
const NO_LINKS = new Set(["A", "CODE", "PRE"]);

function copyChildren(from, into, depth, linkText) {
  for (const child of from.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      if (linkText) linkText(into, child.data);
      else into.append(child.data);
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      if (DROP.has(child.tagName)) continue;
      if (KEEP.has(child.tagName) && depth < MAX_DEPTH) {
        const copy = copyElement(child);
        copyChildren(child, copy, depth + 1, NO_LINKS.has(child.tagName) ? null : linkText);
        into.append(copy);
      } else {
        copyChildren(child, into, depth + 1, linkText); // an unknown element: its text only
      }
    }
  }
}

/**
 * Fill `container` with the allowed part of the server's sanitised `html`. `linkText(into,
 * text)` adds a text node's text, making bare URLs links (the server links only `<url>`);
 * it is not used inside links and code.
 */
export function renderHtml(container, html, linkText = null) {
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  copyChildren(parsed.body, container, 0, linkText);
  container.classList.add("rich");
}

/** The mention elements in `container` that name `memberId` (marked for highlighting). */
export function markMentions(container, memberId) {
  for (const node of container.querySelectorAll("span[data-member-id], span.mention")) {
    if (node.dataset.memberId === String(memberId) || node.classList.contains("mention-room")) {
      node.classList.add("mention-me");
    }
  }
}
