// The app shell on every signed-in page: the sidebar of rooms and direct messages (DMs named
// after the other member) with unread and mention badges, invitations, the friends badge,
// the unread count in the tab title, browser notifications, ringing calls and the keyboard
// (Alt+↑/↓ rooms, Alt+Shift+↑/↓ unread rooms, ? help), all live over the tab's one socket
// (live.js). It subscribes to every room of the member the page does not show, from the
// newest seq it knows (no backlog), and counts what arrives.
import { api } from "./api.js";
import { claimed, listen, socket, start } from "./live.js";
import { initPermissionButton, mentionsMe, notifyMessage } from "./notify.js";
import { data, t } from "./page-data.js";
import { Ringer } from "./ring.js";

const MAX_LIVE_ROOMS = 300;
const $ = (id) => document.getElementById(id);
const me = data.me.id;
const currentRoom = data.room?.id ?? null;
const rooms = new Map(); // id -> {id, title, kind, is_private, unread, mentions, last_seq, read_seq, notify, muted_until}
const subscribed = new Set();
const baseTitle = document.title;
let loaded = false;
let connected = false;
let friendRequests = 0;
let refreshTimer = null;

// -- state from the API --------------------------------------------------------------------

async function loadRooms() {
  const [mine, dms] = await Promise.all([api("GET", "/api/v1/me/rooms"), api("GET", "/api/v1/me/dms")]);
  const peers = new Map(dms.map((dm) => [dm.room.id, dm.peer]));
  const seen = new Set();
  for (const room of mine) {
    seen.add(room.id);
    const known = rooms.get(room.id);
    const title = room.kind === "direct" ? (peers.get(room.id)?.nickname ?? t("deleted_member")) : room.name;
    rooms.set(room.id, {
      id: room.id,
      title,
      kind: room.kind,
      is_private: room.is_private,
      unread: room.unread,
      mentions: room.mentions ?? 0,
      // never step back: frames may already have brought newer seqs than the listing read
      last_seq: Math.max(room.last_seq, known?.last_seq ?? 0),
      read_seq: Math.max(room.last_read_seq, known?.read_seq ?? 0),
      notify: room.notify,
      muted_until: room.muted_until,
    });
  }
  for (const id of [...rooms.keys()]) if (!seen.has(id)) rooms.delete(id);
  loaded = true;
  render();
  subscribeAll();
}

// the room page's notification control changed my level: desktop notifications follow it
addEventListener("parley:notify", (event) => {
  const room = rooms.get(event.detail.room_id);
  if (!room) return;
  room.notify = event.detail.notify;
  room.muted_until = event.detail.muted_until;
});

async function loadInvites() {
  const invites = await api("GET", "/api/v1/me/invites");
  const section = $("shell-invites");
  const list = section.querySelector("ul");
  list.replaceChildren(...invites.map(inviteItem));
  section.hidden = invites.length === 0;
  return invites;
}

async function loadFriends() {
  const friends = await api("GET", "/api/v1/me/friends");
  friendRequests = friends.incoming.length;
  showFriendsBadge();
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => loadRooms().catch(() => {}), 300);
}

// -- the socket ----------------------------------------------------------------------------

function subscribeAll() {
  if (!loaded || !connected) return;
  // the listing is most recently active first: a member of very many rooms gets live badges
  // for the busiest (well within the socket's frame budget); the rest count at the next load
  for (const room of [...rooms.values()].slice(0, MAX_LIVE_ROOMS)) {
    if (claimed.has(room.id) || subscribed.has(room.id)) continue;
    subscribed.add(room.id);
    socket.send({ type: "subscribe", room_id: room.id, after_seq: room.last_seq });
  }
}

function counted(room, message) {
  if (message.seq <= room.last_seq) return; // a replay of what the listing already counted
  room.last_seq = message.seq;
  if (message.kind === "system" || message.sender?.id === me) return;
  if (claimed.has(room.id) && document.visibilityState === "visible") return; // being read
  room.unread += 1;
  if (mentionsMe(message)) room.mentions += 1;
  notifyMessage(room, message);
  render();
}

function readUpTo(room, seq) {
  if (!room || !(seq > room.read_seq)) return;
  room.read_seq = seq;
  if (seq >= room.last_seq) {
    room.unread = 0;
    room.mentions = 0;
    render();
  } else refreshSoon(); // part read: the server counts what is left
}

function toast(text, link) {
  const node = document.createElement("p");
  node.className = "shell-toast";
  node.textContent = text;
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    node.append(" ", a);
  }
  $("shell-toasts").append(node);
  setTimeout(() => node.remove(), 8000);
}

const ringer = new Ringer($("ring"), { roomTitle: (id) => rooms.get(id)?.title ?? `#${id}`, toast });

function onFriendsPage() {
  // the friends page is rendered on the server: show the change by reloading it, unless
  // the member is in the middle of typing there
  const busy = [...document.querySelectorAll("main input")].some((input) => input.value);
  if (!busy) location.reload();
}

const handlers = {
  ready() {
    connected = true;
    subscribed.clear();
    subscribeAll();
  },
  message(frame) {
    const room = rooms.get(frame.room_id);
    if (room) counted(room, frame);
  },
  message_update(frame) {
    const room = rooms.get(frame.room_id);
    if (room) room.last_seq = Math.max(room.last_seq, frame.seq);
  },
  reset(frame) {
    if (rooms.has(frame.room_id)) refreshSoon();
  },
  error(frame) {
    if (frame.code === "not_a_member" && rooms.has(frame.ref)) refreshSoon();
  },
  read(frame) {
    if (frame.member_id === me) readUpTo(rooms.get(frame.room_id), frame.seq);
  },
  subscribed(frame) {
    // my read marker as it was once this socket listened: one set after the listing was read
    // and before then (the page just left sends one) reached no socket of this page
    readUpTo(rooms.get(frame.room_id), frame.read_seq);
  },
  member(frame) {
    if (frame.member.id !== me) return;
    if (frame.event === "invite") {
      loadInvites()
        .then((invites) => {
          const invite = invites.find((item) => item.room.id === frame.room_id);
          if (invite) toast(t("shell_new_invite", { room: invite.room.name }));
        })
        .catch(() => {});
    } else refreshSoon(); // joined, left, removed, role changed
  },
  room(frame) {
    if (frame.event === "delete") {
      rooms.delete(frame.room.id);
      render();
    } else refreshSoon(); // renamed, made private, or a new DM
  },
  profile() {
    if (rooms.size) refreshSoon(); // perhaps a DM peer's new nickname
  },
  friend(frame) {
    if (location.pathname === "/friends") {
      onFriendsPage();
      return;
    }
    loadFriends().catch(() => {});
    if (frame.by === me) return;
    const name = frame.member.nickname ?? t("someone");
    if (frame.event === "request") toast(t("shell_friend_request", { name }), { href: "/friends", text: t("shell_open_friends") });
    if (frame.event === "accept") toast(t("shell_friend_accepted", { name }));
  },
  call(frame) {
    ringer.handle(frame);
  },
};

listen({
  onFrame: (frame) => handlers[frame.type]?.(frame),
  onDown: () => {
    connected = false;
    subscribed.clear();
  },
});

// -- drawing -------------------------------------------------------------------------------

function badge(count, className, label) {
  const node = document.createElement("span");
  node.className = className;
  node.title = label;
  const shown = document.createElement("span");
  shown.setAttribute("aria-hidden", "true");
  shown.textContent = count > 999 ? "999+" : String(count);
  const spoken = document.createElement("span");
  spoken.className = "visually-hidden";
  spoken.textContent = label;
  node.append(shown, spoken);
  return node;
}

function roomItem(room) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `/rooms/${room.id}`;
  a.className = "shell-room";
  a.dataset.roomId = String(room.id);
  a.dataset.unread = String(room.unread);
  if (room.id === currentRoom) a.setAttribute("aria-current", "page");
  if (room.unread) a.classList.add("has-unread");
  const mark = document.createElement("span");
  mark.className = "shell-mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = room.kind === "direct" ? "@" : room.is_private ? "🔒" : "#";
  const name = document.createElement("span");
  name.className = "shell-name";
  name.textContent = room.title;
  a.append(mark, name);
  if (room.is_private && room.kind !== "direct") {
    const hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = ` (${t("shell_private")})`;
    a.append(hint);
  }
  // one badge, as a team chat shows it: mentions (and DMs) in red, else the unread count
  if (room.mentions) {
    a.append(badge(room.mentions, "badge badge-mention", t("shell_mentions", { count: room.mentions, unread: room.unread })));
  } else if (room.unread) {
    const className = room.kind === "direct" ? "badge badge-mention" : "badge";
    a.append(badge(room.unread, className, t("shell_unread", { count: room.unread })));
  }
  li.append(a);
  return li;
}

function inviteItem(invite) {
  // the room's lobby has Join and Decline (the same forms as the home page's invitations)
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `/rooms/${invite.room.id}`;
  a.className = "shell-room shell-invite";
  const mark = document.createElement("span");
  mark.className = "shell-mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = "✉";
  const name = document.createElement("span");
  name.className = "shell-name";
  name.textContent = t("shell_invited", { room: invite.room.name, by: invite.invited_by?.nickname ?? t("someone") });
  a.append(mark, name);
  li.append(a);
  return li;
}

function render() {
  const all = [...rooms.values()];
  const groups = all.filter((room) => room.kind !== "direct");
  const dms = all.filter((room) => room.kind === "direct");
  $("shell-rooms").replaceChildren(...groups.map(roomItem));
  $("shell-dms").replaceChildren(...dms.map(roomItem));
  $("shell-rooms-empty").hidden = groups.length > 0;
  $("shell-dms-empty").hidden = dms.length > 0;
  const total = all.reduce((sum, room) => sum + room.unread, 0);
  document.title = total ? `(${total > 999 ? "999+" : total}) ${baseTitle}` : baseTitle;
  const toggleBadge = $("shell-toggle-badge");
  toggleBadge.hidden = total === 0;
  toggleBadge.textContent = total ? String(total) : "";
  for (const node of document.querySelectorAll("[data-badge-room]")) {
    const room = rooms.get(Number(node.dataset.badgeRoom));
    const count = room?.unread ?? 0;
    node.hidden = count === 0;
    node.title = t("shell_unread", { count });
    node.firstElementChild.textContent = count > 999 ? "999+" : String(count);
    node.lastElementChild.textContent = t("shell_unread", { count });
  }
}

function showFriendsBadge() {
  const node = $("friends-badge");
  node.hidden = friendRequests === 0;
  node.textContent = String(friendRequests);
}

// -- keyboard and controls -----------------------------------------------------------------

function ordered() {
  return [...document.querySelectorAll("#shell-nav a.shell-room[data-room-id]")];
}

function go(step, unreadOnly) {
  const links = ordered();
  if (!links.length) return;
  const at = links.findIndex((a) => Number(a.dataset.roomId) === currentRoom);
  const from = at === -1 ? (step > 0 ? -1 : links.length) : at;
  for (let i = 1; i <= links.length; i += 1) {
    const link = links[(((from + step * i) % links.length) + links.length) % links.length];
    if (!unreadOnly || Number(link.dataset.unread) > 0) {
      location.href = link.href;
      return;
    }
  }
}

function editing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

function toggleHelp(open) {
  const help = $("shell-help");
  help.hidden = !open;
  $("shell-help-button").setAttribute("aria-expanded", String(open));
  if (open) openNav(true);
}

function openNav(open) {
  const nav = $("shell-nav");
  nav.dataset.open = String(open);
  $("shell-backdrop").hidden = !open;
  $("shell-toggle").setAttribute("aria-expanded", String(open));
}

document.addEventListener("keydown", (event) => {
  if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown") && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    go(event.key === "ArrowDown" ? 1 : -1, event.shiftKey);
  } else if (event.key === "?" && !editing(event.target) && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    toggleHelp($("shell-help").hidden);
  } else if (event.key === "Escape" && !$("shell-help").hidden) {
    toggleHelp(false);
    $("shell-help-button").focus();
  } else if (event.key === "Escape" && $("shell-nav").dataset.open === "true") {
    openNav(false);
    $("shell-toggle").focus();
  }
});
$("shell-help-button").addEventListener("click", () => toggleHelp($("shell-help").hidden));
$("shell-toggle").addEventListener("click", () => openNav($("shell-nav").dataset.open !== "true"));
$("shell-backdrop").addEventListener("click", () => openNav(false));
initPermissionButton($("notify-enable"), toast);

Promise.all([loadRooms(), loadInvites(), loadFriends()]).catch(() => {
  /* the badges fill in after the next change */
});
// a page showing a room opens the socket once its history is on screen (room.js)
if (currentRoom === null) start();
