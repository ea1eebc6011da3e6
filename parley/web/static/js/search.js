// The search page: results of GET /api/v1/search/messages, drawn with textContent and <mark>
// from the answer's highlights (character offsets), never as HTML. A page of results can be
// short and still have more (the server bounds each page's work): "more" keeps fetching
// until the list has grown by a page or the answer says there is no more.
import { api } from "./api.js";
import { t } from "./page-data.js";

const form = document.getElementById("search-form");
const list = document.getElementById("search-results");
const status = document.getElementById("search-status");
const more = document.getElementById("search-more");
const PAGE = 20;
const MAX_ROUNDS = 25;
let cursor = null;
let shown = 0;

function params() {
  const data = new FormData(form);
  const query = new URLSearchParams({ q: data.get("q") || "", limit: String(PAGE) });
  if (data.get("room_id")) query.set("room_id", data.get("room_id"));
  if (data.get("has_file")) query.set("has_file", "true");
  const day = (name, end) => {
    const value = data.get(name);
    if (value) query.set(name, `${value}T${end}Z`);
  };
  day("after", "00:00:00");
  day("before", "23:59:59");
  return query;
}

// Code points, not UTF-16 units: the server's offsets count characters.
export function marked(body, highlights) {
  const chars = Array.from(body);
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of highlights) {
    if (start > at) fragment.append(chars.slice(at, start).join(""));
    const mark = document.createElement("mark");
    mark.textContent = chars.slice(start, end).join("");
    fragment.append(mark);
    at = end;
  }
  if (at < chars.length) fragment.append(chars.slice(at).join(""));
  return fragment;
}

function item(hit) {
  const li = document.createElement("li");
  li.className = "search-hit";
  const link = document.createElement("a");
  link.href = `/rooms/${hit.room.id}#msg-${hit.message.seq}`;
  const where = document.createElement("span");
  where.className = "search-where";
  const who = hit.message.sender_nickname || t("search_deleted_member");
  const when = new Date(hit.message.created_at).toLocaleString();
  where.textContent = `${hit.room.name} · ${who} · ${when}`;
  const body = document.createElement("span");
  body.className = "search-body";
  body.append(marked(hit.message.body, hit.highlights));
  link.append(where, body);
  li.append(link);
  return li;
}

async function fetchMore() {
  more.hidden = true;
  status.textContent = t("search_searching");
  const target = shown + PAGE;
  try {
    for (let round = 0; round < MAX_ROUNDS && shown < target; round++) {
      const query = params();
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/api/v1/search/messages?${query}`);
      for (const hit of page.items) list.append(item(hit));
      shown += page.items.length;
      cursor = page.next_cursor;
      if (!cursor) break;
    }
  } catch (error) {
    status.textContent = t("search_failed", { detail: error.message });
    return;
  }
  status.textContent = shown ? t("search_count", { count: shown }) : t("search_none");
  more.hidden = !cursor;
}

more.addEventListener("click", fetchMore);
if (new FormData(form).get("q")) fetchMore();
