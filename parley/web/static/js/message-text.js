// Text derived from a message for places that show no markup: a reply's quote as plain text
// (its Markdown marks dropped), and system messages (joins, leaves, kicks…) said in the
// page's language from their `meta` (the stored body is English).
import { t } from "./page-data.js";

const RULES = [
  [/```[^\n]*\n?([\s\S]*?)(```|$)/g, "$1"], // fenced code: keep the code
  [/!\[([^\]]*)\]\([^)]*\)/g, "$1"], // images: their alt text
  [/\[([^\]]+)\]\((?:[^)\s]+)(?:\s+"[^"]*")?\)/g, "$1"], // links: their text
  [/^[ \t]*#{1,6}[ \t]+/gm, ""], // headings (at a line's start: an excerpt is one line)
  [/^[ \t]*>[ \t]?/gm, ""], // quotes
  [/^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+/gm, ""], // list items
  [/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2"], // strong
  [/(^|[^\w*])([*_])(?=\S)([\s\S]*?\S)\2(?![\w*])/g, "$1$3"], // emphasis
  [/~~(?=\S)([\s\S]*?\S)~~/g, "$1"], // strikethrough
  [/`([^`]+)`/g, "$1"], // inline code
  [/\\([\\`*_{}[\]()#+\-.!~>|])/g, "$1"], // escapes
];

/** A one-line excerpt of Markdown as the text a reader sees (marks dropped, links' text). */
export function plainMarkdown(source) {
  let out = String(source ?? "");
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out.replace(/\s+/g, " ").trim();
}

const SYSTEM = {
  join: () => "sys_join",
  leave: () => "sys_leave",
  invite: () => "sys_invite",
  kick: () => "sys_kick",
  ban: () => "sys_ban",
  owner: () => "sys_owner",
  role: (meta) => (meta.role === "admin" ? "sys_role_admin" : "sys_role_member"),
};

/** A system message in the page's language, or null when its meta does not say enough
 * (messages written before the names travelled with them keep their stored text). */
export function systemText(message) {
  const meta = message.meta;
  if (!meta || typeof meta !== "object" || typeof meta.nickname !== "string") return null;
  const key = SYSTEM[meta.event]?.(meta);
  if (!key) return null;
  const by = typeof meta.by_nickname === "string" ? meta.by_nickname : t("someone");
  return t(key, { name: meta.nickname, by });
}
