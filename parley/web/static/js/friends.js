// The friends page: the buttons the server rendered act through the JSON API and reload the
// page; the nickname search adds "Add friend" buttons. Presence is as of the page load.
import { api, ApiError } from "./api.js";
import { data, errorText, t } from "./page-data.js";

const $ = (id) => document.getElementById(id);
const status = $("friends-status");

function say(text) {
  status.textContent = text;
}

function failure(error) {
  say(error instanceof ApiError ? errorText(error.code) : t("error"));
}

const ACTIONS = {
  accept: (id) => api("POST", `/api/v1/me/friends/${id}/accept`),
  decline: (id) => api("POST", `/api/v1/me/friends/${id}/decline`),
  cancel: (id) => api("DELETE", `/api/v1/me/friends/${id}`),
  remove: (id) => api("DELETE", `/api/v1/me/friends/${id}`),
  block: (id) => api("POST", `/api/v1/me/blocks/${id}`),
  unblock: (id) => api("DELETE", `/api/v1/me/blocks/${id}`),
};

async function act(button) {
  const id = Number(button.dataset.memberId);
  const kind = button.dataset.action;
  button.disabled = true;
  try {
    if (kind === "message") {
      const room = await api("POST", "/api/v1/dms", { member_id: id });
      location.assign(`/rooms/${Number(room.id)}`);
      return;
    }
    await ACTIONS[kind](id);
    location.reload();
  } catch (error) {
    button.disabled = false;
    failure(error);
  }
}

document.querySelector("main").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && button.dataset.action in { ...ACTIONS, message: true }) act(button);
});

function resultItem(member) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "member-name";
  name.textContent = member.nickname;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = t("friend_add");
  button.setAttribute("aria-label", t("friend_add_named", { name: member.nickname }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await api("POST", "/api/v1/me/friends", { member_id: member.id });
      const key = result.status === "accepted" ? "friend_accepted" : "friend_requested";
      say(t(key, { name: member.nickname }));
      setTimeout(() => location.reload(), 800);
    } catch (error) {
      button.disabled = false;
      failure(error);
    }
  });
  li.append(name, button);
  return li;
}

$("friend-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("friend-q").value.trim();
  const results = $("friend-results");
  results.replaceChildren();
  say("");
  if (!q) return;
  try {
    const page = await api("GET", `/api/v1/members?q=${encodeURIComponent(q)}&limit=10`);
    const me = data.me;
    const others = page.items.filter((member) => !me || member.id !== me.id);
    if (!others.length) say(t("no_results"));
    results.append(...others.map(resultItem));
  } catch (error) {
    failure(error);
  }
});
