// The page's data and UI strings, read from the JSON block the server renders
// (<script type="application/json" id="page-data">): no inline script is ever needed.
const node = document.getElementById("page-data");

export const data = node ? JSON.parse(node.textContent) : { lang: "en", strings: {}, me: null };

/** The UI string `key` in the page's language, with `{name}` placeholders filled in. */
export function t(key, values = {}) {
  const text = data.strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** A sentence for an API or socket error code, falling back to a generic one. */
export function errorText(code) {
  return data.strings[`error_${code}`] ?? data.strings[`error.${code}`] ?? t("error");
}

const timeFormat = new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(data.lang, { dateStyle: "medium", timeStyle: "short" });

/** Local time of an ISO timestamp: the time alone for today, date and time otherwise. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date().toDateString() === date.toDateString();
  return (today ? timeFormat : dateTimeFormat).format(date);
}
