// Message elements. Everything a member wrote is set with textContent or as an attribute of
// an element built here; the only markup shown is the server's sanitised `html`, rebuilt from
// an allow-list by richtext.js (without it, the body is text). Links only for http(s) URLs.
import { data, formatTime, t } from "./page-data.js";
import { plainMarkdown, systemText } from "./message-text.js";
import { markMentions, renderHtml } from "./richtext.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}>]+$/;
const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;
const MAX_THUMBNAILS = 3;

/** The URL if it is an absolute http(s) URL, else null. */
export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** The video id of a YouTube watch, short, shorts or embed link, else null. */
export function youtubeId(url) {
  const host = url.hostname.replace(/^(www|m|music)\./, "");
  let id = null;
  if (host === "youtu.be") id = url.pathname.slice(1).split("/")[0];
  else if (host === "youtube.com" || host === "youtube-nocookie.com") {
    if (url.pathname === "/watch") id = url.searchParams.get("v");
    else {
      const match = url.pathname.match(/^\/(?:shorts|embed|live)\/([^/]+)/);
      id = match ? match[1] : null;
    }
  }
  return id && YOUTUBE_ID.test(id) ? id : null;
}

/** Fill `container` with the text, links clickable; returns the YouTube ids found. */
export function renderText(container, text) {
  const videos = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let raw = match[0];
    const trailing = raw.match(TRAILING);
    if (trailing) raw = raw.slice(0, -trailing[0].length);
    const url = safeUrl(raw);
    if (!url) continue;
    container.append(text.slice(last, match.index));
    const link = document.createElement("a");
    link.href = url.href;
    link.textContent = raw;
    link.rel = "noopener noreferrer nofollow";
    link.target = "_blank";
    container.append(link);
    last = match.index + raw.length;
    const id = youtubeId(url);
    if (id && !videos.includes(id)) videos.push(id);
  }
  container.append(text.slice(last));
  return videos;
}

function thumbnail(id) {
  const link = document.createElement("a");
  link.href = `https://www.youtube.com/watch?v=${id}`;
  link.rel = "noopener noreferrer nofollow";
  link.target = "_blank";
  const img = document.createElement("img");
  img.src = `https://i.ytimg.com/vi/${id}/hqdefault.jpg`;
  img.alt = t("video");
  img.loading = "lazy";
  img.referrerPolicy = "no-referrer";
  link.append(img);
  return link;
}

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

let nameOf = () => "";

/** How the message list finds a member's nickname (for "whisper to X"). */
export function setNameLookup(lookup) {
  nameOf = lookup;
}

/** "whisper to X" on the sender's side, "whisper from X" on the target's. */
function whisperLabel(message, mine) {
  if (mine) {
    const name = message.to_name || (message.to ? nameOf(message.to) : "");
    return name ? t("whisper_to", { name }) : t("whisper");
  }
  const from = message.sender && message.sender.id !== null ? message.sender.nickname : t("deleted_member");
  return t("whisper_from", { name: from });
}

/** A size for people: 2.4 MB, 12 kB, 300 B. */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  if (n >= 1000) return `${Math.round(n / 1000)} kB`;
  return `${n} B`;
}

/** An attachment: an image's thumbnail linking to the file, or a download link with size. */
export function attachmentElement(file) {
  const id = Number(file.id);
  const name = String(file.name ?? "");
  const link = document.createElement("a");
  link.href = `/api/v1/files/${id}`;
  link.className = "msg-file";
  link.rel = "noopener";
  link.dataset.fileId = String(id);
  if (file.has_thumbnail) {
    link.target = "_blank";
    const img = document.createElement("img");
    img.src = `/api/v1/files/${id}/thumbnail`;
    img.alt = name;
    img.loading = "lazy";
    img.className = "msg-thumb";
    link.append(img);
  } else {
    link.download = name;
    link.setAttribute("aria-label", t("download", { name }));
    link.textContent = `${name} (${formatSize(file.size)})`;
  }
  return link;
}

/** PARLEY_EDIT_WINDOW_SECONDS (0: always) against the message's age. */
function withinEditWindow(message) {
  const window = Number(data.edit_window_seconds) || 0;
  const created = Date.parse(message.created_at);
  return window <= 0 || Number.isNaN(created) || Date.now() - created < window * 1000;
}

/** Who can do what to a message on this page (the server checks again). */
export function permissions(message) {
  const confirmed = message.seq !== undefined && message.id !== undefined;
  const live = confirmed && message.kind !== "system" && !message.deleted;
  const mine = Boolean(data.me && message.sender && message.sender.id === data.me.id);
  const moderator = data.role === "owner" || data.role === "admin";
  return {
    react: live,
    reply: live,
    edit: live && mine && withinEditWindow(message),
    remove: live && (mine || moderator || Boolean(data.site_admin)),
    pin: live && moderator && message.kind !== "whisper",
    link: confirmed,
  };
}

function toolButton(action, label, extra = {}) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tool";
  button.dataset.action = action;
  button.textContent = label;
  for (const [name, value] of Object.entries(extra)) button.setAttribute(name, value);
  return button;
}

/** The toolbar: react, reply, edit, delete, pin, copy link (what the reader may do). */
function toolbar(message) {
  const can = permissions(message);
  const tools = document.createElement("div");
  tools.className = "msg-tools";
  tools.setAttribute("role", "toolbar");
  tools.setAttribute("aria-label", t("message_actions"));
  if (can.react) tools.append(toolButton("react", t("react"), { "aria-haspopup": "dialog" }));
  if (can.reply) tools.append(toolButton("reply", t("reply")));
  if (can.edit) tools.append(toolButton("edit", t("edit")));
  if (can.remove) tools.append(toolButton("delete", t("delete")));
  if (can.pin) tools.append(toolButton(message.pinned ? "unpin" : "pin", message.pinned ? t("unpin") : t("pin")));
  if (can.link) tools.append(toolButton("copy-link", t("copy_link")));
  return tools.childElementCount ? tools : null;
}

function senderName(sender) {
  if (typeof sender === "string") return sender;
  if (!sender || sender.id === null) return t("deleted_member");
  return sender.nickname ?? nameOf(sender.id) ?? "";
}

/** Mention tokens of a plain excerpt as people read them: `<@12>` -> `@Nick` (text only). */
export function readableTokens(text) {
  return String(text ?? "").replace(/<@(room|\d{1,19})>/g, (token, id) => {
    if (id === "room") return "@room";
    const name = nameOf(Number(id));
    return name ? `@${name}` : token;
  });
}

/** The quote above a reply: who and an excerpt; pressing it jumps to the original. */
function replyQuote(reply) {
  const quote = document.createElement("button");
  quote.type = "button";
  quote.className = "msg-reply";
  quote.dataset.action = "jump";
  if (reply.seq !== undefined && reply.seq !== null) quote.dataset.target = String(reply.seq);
  const name = senderName(reply.sender);
  quote.append(span("msg-reply-name", name), span("msg-reply-text", plainMarkdown(readableTokens(reply.excerpt))));
  quote.setAttribute("aria-label", t("reply_jump", { name }));
  return quote;
}

/** Reaction chips (toggle mine) and the button that opens the emoji picker. */
function reactionRow(message) {
  const row = document.createElement("div");
  row.className = "msg-reactions";
  const names = (ids) => ids.map((id) => nameOf(id)).filter(Boolean).join(", ");
  for (const reaction of message.reactions ?? []) {
    const ids = Array.isArray(reaction.member_ids) ? reaction.member_ids : [];
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "reaction";
    chip.dataset.action = "toggle-reaction";
    chip.dataset.emoji = String(reaction.emoji);
    const mine = Boolean(data.me && ids.includes(data.me.id));
    chip.setAttribute("aria-pressed", String(mine));
    chip.append(span("reaction-emoji", String(reaction.emoji)), span("reaction-count", String(reaction.count)));
    chip.setAttribute("aria-label", t("reaction_label", { emoji: reaction.emoji, count: reaction.count }));
    const who = names(ids);
    if (who) chip.title = who;
    row.append(chip);
  }
  if (row.childElementCount) {
    const add = toolButton("react", "+", { "aria-label": t("react"), "aria-haspopup": "dialog" });
    add.className = "reaction reaction-add";
    row.append(add);
  }
  return row;
}

function mentionsMe(message) {
  if (!data.me) return false;
  return Boolean(message.mentions_room) || (Array.isArray(message.mentions) && message.mentions.includes(data.me.id));
}

/** The command that made a text message (`/me`, `/poll`: docs/commands.md), or "". */
function commandOf(message) {
  const meta = message.meta;
  return message.kind === "text" && meta && typeof meta === "object" ? String(meta.command ?? "") : "";
}

/** `/me waves` as "* Ada waves", in italics (the name as text, the words as rendered). */
function actionBody(body, message) {
  body.classList.add("msg-action");
  const who = message.sender?.id === null || !message.sender ? t("deleted_member") : message.sender.nickname;
  const lead = span("msg-action-name", `* ${who} `);
  (body.querySelector("p") ?? body).prepend(lead);
}

/** A poll: its question, and a button per option (a vote is that option's reaction). */
function pollBody(body, message) {
  const { question, options, emoji } = message.meta;
  if (!Array.isArray(options) || !Array.isArray(emoji)) return;
  const counts = new Map((message.reactions ?? []).map((r) => [r.emoji, r]));
  const box = document.createElement("div");
  box.className = "poll";
  box.append(span("poll-question", `📊 ${String(question ?? "")}`));
  options.forEach((option, index) => {
    const reaction = counts.get(emoji[index]);
    const ids = Array.isArray(reaction?.member_ids) ? reaction.member_ids : [];
    const button = document.createElement("button");
    button.type = "button";
    button.className = "poll-option";
    button.dataset.action = "toggle-reaction";
    button.dataset.emoji = String(emoji[index]);
    button.setAttribute("aria-pressed", String(Boolean(data.me && ids.includes(data.me.id))));
    const count = reaction ? reaction.count : 0;
    button.append(span("poll-label", `${emoji[index]} ${String(option)}`), span("poll-count", String(count)));
    button.setAttribute("aria-label", t("poll_option", { option: String(option), count }));
    box.append(button);
  });
  body.replaceChildren(box);
}

/** A list item for a message (a history item, a `message` frame or a message_update's). */
export function messageElement(message) {
  const li = document.createElement("li");
  li.className = `msg ${message.kind}`;
  const mine = data.me && message.sender && message.sender.id === data.me.id;
  if (mine) li.classList.add("mine");
  if (message.seq !== undefined) {
    li.dataset.seq = String(message.seq);
    li.id = `msg-${message.seq}`;
    li.tabIndex = -1; // a jump moves the focus here
  }
  if (message.id !== undefined) li.dataset.id = String(message.id);
  if (message.client_msg_id) li.dataset.cmid = message.client_msg_id;
  if (message.sender && message.sender.id !== null) li.dataset.sender = String(message.sender.id);
  if (message.deleted) li.classList.add("deleted");
  if (message.pinned) li.classList.add("pinned");
  if (!message.deleted && message.kind !== "system" && mentionsMe(message)) li.classList.add("mentions-me");

  if (message.reply_to && !message.deleted) li.append(replyQuote(message.reply_to));
  if (message.kind !== "system") {
    const head = document.createElement("div");
    head.className = "msg-head";
    const gone = !message.sender || message.sender.id === null;
    head.append(span("msg-author", gone ? t("deleted_member") : message.sender.nickname));
    if (message.kind === "whisper") head.append(span("msg-kind", whisperLabel(message, mine)));
    const time = document.createElement("time");
    if (message.created_at) {
      time.dateTime = message.created_at;
      time.textContent = formatTime(message.created_at);
    }
    head.append(time);
    if (message.edited_at && !message.deleted) {
      // a button: it opens the earlier versions (history.js)
      const edited = toolButton("history", t("edited"), { "aria-expanded": "false", title: formatTime(message.edited_at) });
      edited.className = "msg-edited";
      edited.setAttribute("aria-label", t("edited_history", { time: formatTime(message.edited_at) }));
      head.append(edited);
    }
    if (message.pinned && !message.deleted) head.append(span("msg-pinned", t("pinned")));
    head.append(span("msg-status", ""));
    li.append(head);
  }
  const body = document.createElement("div");
  body.className = "msg-body";
  let videos = [];
  if (message.deleted) {
    body.classList.add("msg-tombstone");
    body.textContent = message.deleted_by === "moderator" ? t("deleted_by_moderator") : t("deleted_message");
  } else if (typeof message.html === "string" && message.html && message.kind !== "system") {
    renderHtml(body, message.html, renderText);
    if (data.me) markMentions(body, data.me.id);
    for (const link of body.querySelectorAll("a[href]")) {
      const url = safeUrl(link.href);
      const id = url ? youtubeId(url) : null;
      if (id && !videos.includes(id)) videos.push(id);
    }
  } else if (message.kind === "system") {
    body.textContent = systemText(message) ?? String(message.body ?? "");
  } else {
    videos = renderText(body, String(message.body ?? ""));
  }
  const command = message.deleted ? "" : commandOf(message);
  if (command === "me") actionBody(body, message);
  else if (command === "poll") pollBody(body, message);
  li.append(body);
  if (!message.deleted && Array.isArray(message.attachments) && message.attachments.length) {
    const files = document.createElement("div");
    files.className = "msg-files";
    files.append(...message.attachments.map(attachmentElement));
    li.append(files);
  }
  if (videos.length && message.kind !== "system") {
    const embeds = document.createElement("div");
    embeds.className = "msg-embeds";
    embeds.append(...videos.slice(0, MAX_THUMBNAILS).map(thumbnail));
    li.append(embeds);
  }
  if (!message.deleted && message.kind !== "system") {
    const reactions = reactionRow(message);
    if (reactions.childElementCount) li.append(reactions);
  }
  const tools = message.kind === "system" ? null : toolbar(message);
  if (tools) {
    const more = toolButton("more", "⋯", { "aria-expanded": "false", "aria-label": t("more_actions") });
    more.className = "msg-more";
    li.querySelector(".msg-head")?.append(more);
    li.append(tools);
  }
  return li;
}
