// The room page: history (newest page, then older pages as the reader scrolls up), live
// messages over /ws with resume after reconnects, sending with pending/ack and safe
// retries, typing, read markers, presence and membership changes.
import { api, csrfToken, refreshSession } from "./api.js";
import { Calls } from "./call.js";
import { data, errorText, t } from "./page-data.js";
import { Members, initInvites } from "./members.js";
import { setNameLookup } from "./render.js";
import { ChatSocket } from "./socket.js";
import { Timeline } from "./timeline.js";

const PAGE = 50;
const TYPING_SEND_MS = 3000;
const TYPING_SHOW_MS = 5000;
const READ_EVERY_MS = 1000;

const roomId = data.room.id;
const $ = (id) => document.getElementById(id);
const timeline = new Timeline($("messages"), $("timeline-scroll"));
const members = new Members(roomId, $("member-list"), $("people-count"));
const input = $("message-input");
const olderButton = $("load-older");
const typers = new Map(); // member id -> timeout
let subscribed = false;
let removed = false;
let hasOlder = false;
let loadingOlder = false;
let lastTypingSent = 0;
let readSent = data.last_read_seq;
let readTimer = null;
let whisperTo = null; // {id, nickname} while the composer whispers
let attachment = null; // the uploaded file waiting to be sent: {id, name, size, ...}
let uploading = false;

const socket = new ChatSocket({
  onFrame: handleFrame,
  onState: showState,
  onDown: () => {
    subscribed = false;
  },
});
const nameOf = (id) => members.nickname(id) || t("someone");
const calls = new Calls(roomId, socket, nameOf, $("call"));
setNameLookup((id) => members.nickname(id));
members.extraActions = (member) => [
  actionButton(t("whisper_action"), t("whisper_named", { name: member.nickname }), () => setWhisper(member)),
  actionButton(t("call_action"), t("call_named", { name: member.nickname }), () => calls.start(member.id)),
];

function actionButton(label, accessibleName, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary small";
  button.textContent = label;
  button.setAttribute("aria-label", accessibleName);
  button.addEventListener("click", onClick);
  return button;
}

// -- whisper target and attachment (chips above the composer) ------------------------------

function setWhisper(member) {
  whisperTo = member ? { id: member.id, nickname: member.nickname } : null;
  const chip = $("whisper-chip");
  $("whisper-target").hidden = !whisperTo;
  chip.textContent = whisperTo ? whisperTo.nickname : "";
  if (whisperTo) chip.setAttribute("aria-label", t("whisper_clear", { name: whisperTo.nickname }));
  input.focus();
}

function setAttachment(file) {
  attachment = file;
  const chip = $("attachment-chip");
  $("attachment-row").hidden = !file;
  chip.textContent = file ? t("attachment_named", { name: file.name }) : "";
  if (file) chip.setAttribute("aria-label", t("attachment_remove", { name: file.name }));
  if (!file) $("attach-input").value = "";
}

async function postFile(file) {
  const send = () => {
    const form = new FormData();
    form.append("file", file, file.name);
    return fetch("/api/v1/files", {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
    });
  };
  let response = await send();
  if (response.status === 401 && (await refreshSession())) response = await send();
  if (!response.ok) {
    let code = "";
    try {
      code = (await response.json()).code ?? "";
    } catch {
      /* not a problem document */
    }
    throw new Error(code);
  }
  return response.json();
}

async function upload() {
  const file = $("attach-input").files[0];
  if (!file) return;
  uploading = true;
  setAttachment(null);
  $("upload-status").textContent = t("uploading", { name: file.name });
  try {
    setAttachment(await postFile(file));
    $("upload-status").textContent = "";
  } catch (error) {
    const text = error.message ? errorText(error.message) : t("upload_failed");
    $("upload-status").textContent = text === t("error") ? t("upload_failed") : text;
    $("attach-input").value = "";
  } finally {
    uploading = false;
  }
}

function showState(state) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent = t(state);
}

function alertBox(text) {
  const box = $("room-alert");
  box.textContent = text;
  box.hidden = !text;
}

function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `w-${Date.now().toString(36)}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// -- history -------------------------------------------------------------------------------

async function loadLatest() {
  const page = await api("GET", `/api/v1/rooms/${roomId}/messages?limit=${PAGE}`);
  for (const message of page.items) timeline.add(message);
  setHasOlder(page.has_more);
}

async function loadOlder() {
  if (!hasOlder || loadingOlder || timeline.oldest === null) return;
  loadingOlder = true;
  try {
    const url = `/api/v1/rooms/${roomId}/messages?before_seq=${timeline.oldest}&limit=${PAGE}`;
    const page = await api("GET", url);
    timeline.prepend(page.items);
    setHasOlder(page.has_more);
  } catch {
    /* the button stays; the reader may try again */
  } finally {
    loadingOlder = false;
  }
  // the observer only reports changes: if the top is still in view, keep filling it
  if (hasOlder && edgeInView()) requestAnimationFrame(loadOlder);
}

function edgeInView() {
  const edge = olderButton.getBoundingClientRect();
  const view = $("timeline-scroll").getBoundingClientRect();
  return edge.bottom > view.top && edge.top < view.bottom;
}

function setHasOlder(more) {
  hasOlder = more;
  olderButton.hidden = !more;
  $("history-start").hidden = more;
}

// -- sending -------------------------------------------------------------------------------

function transmit(clientMsgId) {
  const waiting = timeline.pending.get(clientMsgId);
  if (waiting && subscribed) {
    const frame = { type: "send", room_id: roomId, client_msg_id: clientMsgId, body: waiting.body };
    if (waiting.to) frame.to = waiting.to;
    if (waiting.attachments?.length) frame.attachments = waiting.attachments;
    socket.send(frame);
  }
}

function submit() {
  if (removed || uploading) return;
  const body = input.value.trim() || (attachment ? attachment.name : "");
  if (!body) return;
  if (body.length > data.max_chars) {
    alertBox(errorText("body_too_long"));
    return;
  }
  alertBox("");
  const clientMsgId = newClientMsgId();
  const extra = {};
  if (whisperTo) Object.assign(extra, { to: whisperTo.id, to_name: whisperTo.nickname });
  if (attachment) Object.assign(extra, { attachments: [attachment.id], files: [attachment] });
  timeline.addPending(clientMsgId, body, extra);
  input.value = "";
  setAttachment(null);
  lastTypingSent = 0; // the next keystroke starts a new message: say so at once
  transmit(clientMsgId); // if not connected, it goes out after the next `subscribed`
}

function sendTyping() {
  const now = Date.now();
  if (subscribed && now - lastTypingSent > TYPING_SEND_MS) {
    lastTypingSent = now;
    socket.send({ type: "typing", room_id: roomId });
  }
}

// -- read markers --------------------------------------------------------------------------

function sendRead() {
  if (timeline.newest > readSent && subscribed) {
    readSent = timeline.newest;
    socket.send({ type: "read", room_id: roomId, seq: readSent });
  }
}

function markRead() {
  if (document.visibilityState !== "visible" || !subscribed || timeline.newest <= readSent) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(sendRead, READ_EVERY_MS);
}

// -- typing --------------------------------------------------------------------------------

function showTyping() {
  const names = [...typers.keys()].map((id) => members.nickname(id)).filter(Boolean);
  $("typing").textContent =
    names.length === 0 ? "" : names.length === 1 ? t("typing_one", { name: names[0] }) : t("typing_many");
}

function someoneTyping(memberId) {
  clearTimeout(typers.get(memberId));
  typers.set(
    memberId,
    setTimeout(() => {
      typers.delete(memberId);
      showTyping();
    }, TYPING_SHOW_MS),
  );
  showTyping();
}

function stoppedTyping(memberId) {
  if (typers.has(memberId)) {
    clearTimeout(typers.get(memberId));
    typers.delete(memberId);
    showTyping();
  }
}

// -- frames --------------------------------------------------------------------------------

function loseRoom(text) {
  removed = true;
  alertBox(text);
  input.disabled = true;
  $("send-button").disabled = true;
}

async function resetHistory() {
  timeline.clear();
  try {
    await loadLatest();
  } catch {
    /* the next reconnect tries again */
  }
  timeline.scrollToBottom();
}

const handlers = {
  ready() {
    socket.send({ type: "subscribe", room_id: roomId, after_seq: timeline.newest });
  },
  subscribed(frame) {
    if (frame.room_id !== roomId) return;
    subscribed = true;
    for (const clientMsgId of timeline.pending.keys()) transmit(clientMsgId);
    markRead();
  },
  reset(frame) {
    if (frame.room_id === roomId) resetHistory();
  },
  message(frame) {
    if (frame.room_id !== roomId) return;
    const follow = timeline.nearBottom();
    if (timeline.add(frame) && follow) timeline.scrollToBottom();
    if (frame.sender) stoppedTyping(frame.sender.id);
    markRead();
  },
  ack(frame) {
    if (frame.room_id === roomId) timeline.ack(frame);
  },
  error(frame) {
    if (frame.ref && timeline.pending.has(frame.ref)) {
      timeline.markFailed(frame.ref, errorText(frame.code), transmit);
    } else if (frame.code === "not_a_member" || frame.code === "room_not_found") {
      loseRoom(t("removed"));
    }
  },
  typing(frame) {
    if (frame.room_id === roomId && frame.member_id !== data.me.id) someoneTyping(frame.member_id);
  },
  call(frame) {
    calls.handle(frame);
  },
  presence(frame) {
    members.setOnline(frame.member_id, frame.status === "online");
  },
  member(frame) {
    if (frame.room_id !== roomId) return;
    const gone = ["leave", "kick", "ban"].includes(frame.event);
    if (frame.member.id === data.me.id && gone) loseRoom(t("removed"));
    else {
      if (frame.member.id === data.me.id && frame.member.role) data.role = frame.member.role;
      members.reloadSoon();
    }
  },
  room(frame) {
    if (frame.room.id !== roomId) return;
    if (frame.event === "delete") {
      loseRoom(t("room_deleted"));
      return;
    }
    $("room-name").textContent = frame.room.name;
    $("room-topic").textContent = frame.room.topic;
    $("room-topic").hidden = !frame.room.topic;
  },
};

function handleFrame(frame) {
  handlers[frame.type]?.(frame);
}

// -- wiring --------------------------------------------------------------------------------

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault(); // Enter sends; Shift+Enter (and IME composition) keep typing
    submit();
  }
});
input.addEventListener("input", sendTyping);
$("whisper-chip").addEventListener("click", () => setWhisper(null));
$("attachment-chip").addEventListener("click", () => {
  setAttachment(null);
  input.focus();
});
$("attach-input").addEventListener("change", upload);
olderButton.addEventListener("click", loadOlder);
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadOlder();
}, { root: $("timeline-scroll") }).observe(olderButton);
document.addEventListener("visibilitychange", markRead);
addEventListener("pagehide", () => {
  if (document.visibilityState === "visible") sendRead(); // leaving: do not wait for the timer
});
initInvites(roomId, $("invite-form"));
if (matchMedia("(max-width: 47.99rem)").matches) $("people").open = false;

async function start() {
  const loadingMembers = members.load().catch(() => {});
  try {
    await loadingMembers; // whispers name their target: know the names first
    await loadLatest();
  } catch {
    /* subscribing replays what the page missed */
  }
  const divider = timeline.markUnread(data.last_read_seq);
  if (divider) divider.scrollIntoView({ block: "center" });
  else timeline.scrollToBottom();
  socket.start();
  input.focus();
}

start();
