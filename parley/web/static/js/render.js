// Message elements. Everything a member wrote is set with textContent or as an attribute of
// an element built here, never parsed as HTML; links are made only for http(s) URLs.
import { data, formatTime, t } from "./page-data.js";

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

/** A list item for a message (a history item or a `message` frame). */
export function messageElement(message) {
  const li = document.createElement("li");
  li.className = `msg ${message.kind}`;
  const mine = data.me && message.sender && message.sender.id === data.me.id;
  if (mine) li.classList.add("mine");
  if (message.seq !== undefined) li.dataset.seq = String(message.seq);
  if (message.client_msg_id) li.dataset.cmid = message.client_msg_id;
  if (message.sender && message.sender.id !== null) li.dataset.sender = String(message.sender.id);

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
    head.append(time, span("msg-status", ""));
    li.append(head);
  }
  const body = document.createElement("div");
  body.className = "msg-body";
  const videos = renderText(body, message.body);
  li.append(body);
  if (Array.isArray(message.attachments) && message.attachments.length) {
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
  return li;
}

/** Turn a pending element into the confirmed message (seq, time) it became. */
export function confirmElement(li, seq, createdAt) {
  li.classList.remove("pending", "failed");
  li.dataset.seq = String(seq);
  li.querySelector(".msg-status").textContent = "";
  li.querySelector(".msg-retry")?.remove();
  const time = li.querySelector("time");
  if (createdAt && time) {
    time.dateTime = createdAt;
    time.textContent = formatTime(createdAt);
  }
}
